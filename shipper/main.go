// Command shipper ships squid, snort3, sysstat and SNMP data to
// Elasticsearch. See README.md.
package main

import (
	"os"

	"github.com/shipper-project/shipper/shipper/cli"
)

func main() {
	os.Exit(cli.Main(os.Args))
}
