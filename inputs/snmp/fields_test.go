package snmp

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/shipper/event"
)

// checkFields checks an event against fields.yml: every field is declared
// and its value fits the declared type. When shipper/fields lands, replace
// the body with fields.Check(e, fieldsYAML).
func checkFields(e *event.Event) error {
	decl := declared()
	for _, f := range e.Fields {
		typ, ok := decl[f.Key]
		if !ok {
			if isBase(f.Key) {
				continue
			}
			return fmt.Errorf("field %s is not in fields.yml", f.Key)
		}
		okType := false
		switch f.Value.(type) {
		case string:
			okType = typ == "keyword" || typ == "ip"
		case int64:
			okType = typ == "long" || typ == "integer"
		case float64:
			okType = typ == "float" || typ == "double" || typ == "scaled_float"
		case time.Time:
			okType = typ == "date"
		}
		if !okType {
			return fmt.Errorf("field %s = %T, declared %s", f.Key, f.Value, typ)
		}
	}
	return nil
}

// isBase reports the ECS fields shipper/fields adds for every plugin.
func isBase(k string) bool {
	for _, p := range []string{"event.", "tags"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

var declared = sync.OnceValue(func() map[string]string {
	var list []struct{ Name, Type string }
	if err := yaml.Unmarshal(fieldsYAML, &list); err != nil {
		panic(err)
	}
	m := map[string]string{}
	for _, f := range list {
		m[f.Name] = f.Type
	}
	return m
})
