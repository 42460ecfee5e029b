// Package all imports every built-in input: the one list to edit when an
// input is added.
package all

import (
	_ "github.com/shipper-project/shipper/inputs/filestream" // type: filestream
	_ "github.com/shipper-project/shipper/inputs/squid"      // type: squid
)
