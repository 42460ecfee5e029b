// Package all imports every built-in processor: the one list to edit when a
// processor is added.
package all

import (
	_ "github.com/shipper-project/shipper/processors/geoip" // geoip
	_ "github.com/shipper-project/shipper/processors/grok"  // grok

	// Beats' parsing and enrichment processors.
	_ "github.com/shipper-project/shipper/processors/community_id"       // community_id
	_ "github.com/shipper-project/shipper/processors/decode_json_fields" // decode_json_fields
	_ "github.com/shipper-project/shipper/processors/dissect"            // dissect
	_ "github.com/shipper-project/shipper/processors/timestamp"          // timestamp
)
