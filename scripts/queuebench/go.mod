module queuebench

go 1.26.8

replace github.com/shipper-project/shipper => ../..

require (
	github.com/shipper-project/shipper v0.0.0-00010101000000-000000000000
	go.etcd.io/bbolt v1.5.0
	golang.org/x/sys v0.45.0
)

require gopkg.in/yaml.v3 v3.0.1 // indirect
