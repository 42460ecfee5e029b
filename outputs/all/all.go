// Package all imports every built-in output: the one list to edit when an
// output is added.
package all

import (
	_ "github.com/shipper-project/shipper/outputs/console"       // output.console
	_ "github.com/shipper-project/shipper/outputs/elasticsearch" // output.elasticsearch
	_ "github.com/shipper-project/shipper/outputs/file"          // output.file
)
