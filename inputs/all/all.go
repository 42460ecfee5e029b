// Package all imports every built-in input: the one list to edit when an
// input is added.
package all

import (
	_ "github.com/shipper-project/shipper/inputs/filestream" // type: filestream
	_ "github.com/shipper-project/shipper/inputs/meminfo"    // type: meminfo
	_ "github.com/shipper-project/shipper/inputs/mpstat"     // type: mpstat
	_ "github.com/shipper-project/shipper/inputs/netflow"    // type: netflow
	_ "github.com/shipper-project/shipper/inputs/pidstat"    // type: pidstat
	_ "github.com/shipper-project/shipper/inputs/sflow"      // type: sflow
	_ "github.com/shipper-project/shipper/inputs/snmp"       // type: snmp
	_ "github.com/shipper-project/shipper/inputs/snort"      // type: snort
	_ "github.com/shipper-project/shipper/inputs/squid"      // type: squid
)
