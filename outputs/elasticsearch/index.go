package elasticsearch

import (
	"fmt"
	"strings"

	"github.com/shipper-project/shipper/shipper/event"
)

// indexSel renders an index name such as "shipper-%{[event.dataset]}" or
// "shipper-%{+yyyy.MM.dd}" for an event.
type indexSel []indexPart

type indexPart struct {
	lit   string
	field string // %{[a.b]} or %{[a][b]}
	date  string // Go layout of %{+yyyy.MM.dd}
}

func parseIndex(s string) (indexSel, error) {
	var out indexSel
	for s != "" {
		i := strings.Index(s, "%{")
		if i < 0 {
			out = append(out, indexPart{lit: s})
			break
		}
		if i > 0 {
			out = append(out, indexPart{lit: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed %%{ in %q", s)
		}
		expr := s[i+2 : i+j]
		s = s[i+j+1:]
		if strings.HasPrefix(expr, "+") {
			out = append(out, indexPart{date: jodaToGo(expr[1:])})
			continue
		}
		if strings.HasPrefix(expr, "[") && strings.HasSuffix(expr, "]") {
			f := strings.ReplaceAll(expr[1:len(expr)-1], "][", ".")
			if f == "" {
				return nil, fmt.Errorf("empty field reference in %q", s)
			}
			out = append(out, indexPart{field: f})
			continue
		}
		return nil, fmt.Errorf("unsupported %%{%s}: use %%{[field]} or %%{+yyyy.MM.dd}", expr)
	}
	return out, nil
}

func jodaToGo(f string) string {
	r := strings.NewReplacer("yyyy", "2006", "yy", "06", "MM", "01", "dd", "02", "HH", "15", "mm", "04", "ss", "05")
	return r.Replace(f)
}

// render returns the index of e; a missing field renders as "generic".
// Index names are lower-case in Elasticsearch.
func (s indexSel) render(dst []byte, e *event.Event) []byte {
	for _, p := range s {
		switch {
		case p.field != "":
			v, ok := e.Fields.GetString(p.field)
			if !ok || v == "" {
				v = "generic"
			}
			for i := 0; i < len(v); i++ {
				c := v[i]
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				dst = append(dst, c)
			}
		case p.date != "":
			dst = e.Timestamp.UTC().AppendFormat(dst, p.date)
		default:
			dst = append(dst, p.lit...)
		}
	}
	return dst
}
