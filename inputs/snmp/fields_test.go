package snmp

import (
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/fields"
)

// checkFields checks an event against the base catalog and fields.yml:
// every field is declared and its value fits the declared type.
func checkFields(e *event.Event) error {
	return fields.Check(e, fieldsYAML)
}
