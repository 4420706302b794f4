package config

import (
	"sort"
	"strconv"

	"github.com/pelletier/go-toml/v2/unstable"
)

// sep joins the parts of a key path in the line index. TOML keys may hold
// any character when quoted; a NUL in a key at worst misplaces a line.
const sep = "\x00"

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + sep + key
}

// keyLines maps every key path of a syntactically valid TOML document to
// the line where it first appears. Tables in an array of tables, and the
// elements of arrays, are numbered: the third [[site]]'s upstream is
// "site", "2", "upstream" joined with sep. Implicit tables ([a.b] defines
// a) get the line of their first mention.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	newlines := []int{}
	for i, c := range data {
		if c == '\n' {
			newlines = append(newlines, i)
		}
	}
	lineOf := func(n *unstable.Node) int {
		return 1 + sort.SearchInts(newlines, int(n.Raw.Offset))
	}
	note := func(path string, line int) {
		if _, ok := lines[path]; !ok {
			lines[path] = line
		}
	}
	arrays := map[string]int{} // array-of-tables path → tables so far
	// resolve turns header key parts into a path, entering the last table
	// of each array of tables on the way, as TOML does.
	resolve := func(parts []string, line int) string {
		path := ""
		for _, k := range parts {
			path = join(path, k)
			note(path, line)
			if n, ok := arrays[path]; ok {
				path = join(path, strconv.Itoa(n-1))
			}
		}
		return path
	}
	var value func(n *unstable.Node, path string, line int)
	value = func(n *unstable.Node, path string, line int) {
		switch n.Kind {
		case unstable.InlineTable:
			it := n.Children()
			for it.Next() {
				if kv := it.Node(); kv.Kind == unstable.KeyValue {
					keyValue(kv, path, lineOf, note, value)
				}
			}
		case unstable.Array:
			i := 0
			it := n.Children()
			for it.Next() {
				el := it.Node()
				if el.Kind == unstable.Comment {
					continue
				}
				elLine := line
				if el.Raw.Length > 0 {
					elLine = lineOf(el)
				}
				p := join(path, strconv.Itoa(i))
				note(p, elLine)
				value(el, p, elLine)
				i++
			}
		}
	}

	var p unstable.Parser
	p.Reset(data)
	current := ""
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			parts, first := keyParts(e)
			if len(parts) == 0 {
				continue
			}
			line := lineOf(first)
			if e.Kind == unstable.Table {
				current = resolve(parts, line)
				continue
			}
			table := join(resolve(parts[:len(parts)-1], line), parts[len(parts)-1])
			note(table, line)
			n := arrays[table]
			arrays[table] = n + 1
			current = join(table, strconv.Itoa(n))
			lines[current] = line
		case unstable.KeyValue:
			keyValue(e, current, lineOf, note, value)
		}
	}
	return lines
}

// keyValue notes the lines of a key/value pair's (dotted) key and walks
// its value.
func keyValue(kv *unstable.Node, path string, lineOf func(*unstable.Node) int, note func(string, int),
	value func(*unstable.Node, string, int)) {
	parts, first := keyParts(kv)
	if len(parts) == 0 {
		return
	}
	line := lineOf(first)
	for _, k := range parts {
		path = join(path, k)
		note(path, line)
	}
	value(kv.Value(), path, line)
}

// keyParts returns the parts of a KeyValue's, Table's or ArrayTable's key,
// and the node of the first part (for its position).
func keyParts(n *unstable.Node) ([]string, *unstable.Node) {
	var parts []string
	var first *unstable.Node
	it := n.Key()
	for it.Next() {
		k := it.Node()
		if first == nil {
			first = k
		}
		parts = append(parts, string(k.Data))
	}
	return parts, first
}
