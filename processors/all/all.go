// Package all imports every built-in processor: the one list to edit when a
// processor is added.
package all

import (
	_ "github.com/shipper-project/shipper/processors/geoip" // geoip
	_ "github.com/shipper-project/shipper/processors/grok"  // grok

	// Beats' field processors.
	_ "github.com/shipper-project/shipper/processors/add_fields"      // add_fields
	_ "github.com/shipper-project/shipper/processors/add_labels"      // add_labels
	_ "github.com/shipper-project/shipper/processors/add_tags"        // add_tags
	_ "github.com/shipper-project/shipper/processors/convert"         // convert
	_ "github.com/shipper-project/shipper/processors/copy_fields"     // copy_fields
	_ "github.com/shipper-project/shipper/processors/drop_event"      // drop_event
	_ "github.com/shipper-project/shipper/processors/drop_fields"     // drop_fields
	_ "github.com/shipper-project/shipper/processors/include_fields"  // include_fields
	_ "github.com/shipper-project/shipper/processors/rename"          // rename
	_ "github.com/shipper-project/shipper/processors/truncate_fields" // truncate_fields

	// Beats' parsing and enrichment processors.
	_ "github.com/shipper-project/shipper/processors/add_host_metadata"  // add_host_metadata
	_ "github.com/shipper-project/shipper/processors/add_id"             // add_id
	_ "github.com/shipper-project/shipper/processors/add_locale"         // add_locale
	_ "github.com/shipper-project/shipper/processors/community_id"       // community_id
	_ "github.com/shipper-project/shipper/processors/decode_json_fields" // decode_json_fields
	_ "github.com/shipper-project/shipper/processors/dissect"            // dissect
	_ "github.com/shipper-project/shipper/processors/fingerprint"        // fingerprint
	_ "github.com/shipper-project/shipper/processors/registered_domain"  // registered_domain
	_ "github.com/shipper-project/shipper/processors/timestamp"          // timestamp
)
