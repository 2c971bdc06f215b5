package civic

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// TestBilingualFormatsAgree reads every Go file of the module and checks
// each call of a function that takes a Chinese format and its English
// beside it, then their arguments (declared "zh, en string, a ...any":
// civic.Errorf, sheet.Problemf, the command's failed and printf, …): both
// formats must take the arguments passed, as fmt counts them. A format
// that takes fewer prints "%!(EXTRA …)" in that language only, which no
// test in the other language sees.
func TestBilingualFormatsAgree(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	var files []*ast.File
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "node_modules" || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err == nil {
			files = append(files, f)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The functions, by name, with the position of their zh parameter.
	zhAt := map[string]int{}
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			var names []string
			variadic := false
			for _, p := range fd.Type.Params.List {
				for _, n := range p.Names {
					names = append(names, n.Name)
				}
				_, variadic = p.Type.(*ast.Ellipsis)
			}
			if k := len(names); variadic && k >= 3 && names[k-3] == "zh" && names[k-2] == "en" {
				zhAt[fd.Name.Name] = k - 3
			}
		}
	}
	if len(zhAt) < 5 {
		t.Fatalf("found %d bilingual format functions (%v); the walk missed the module's files", len(zhAt), zhAt)
	}
	calls := 0
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || call.Ellipsis.IsValid() {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			i, ok := zhAt[name]
			if !ok || len(call.Args) < i+2 {
				return true
			}
			zh, ok1 := stringLit(call.Args[i])
			en, ok2 := stringLit(call.Args[i+1])
			if !ok1 || !ok2 {
				return true
			}
			calls++
			if !strings.ContainsFunc(zh, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
				t.Errorf("%s: the Chinese %q has no Chinese", fset.Position(call.Pos()), zh)
			}
			args := len(call.Args) - i - 2
			for _, format := range []string{zh, en} {
				if want, ok := argsTaken(format); ok && want != args || !ok && want > args {
					t.Errorf("%s: %q takes %d arguments, the call passes %d", fset.Position(call.Pos()), format, want, args)
				}
			}
			return true
		})
	}
	if calls < 100 {
		t.Fatalf("checked %d calls; the walk missed the module's files", calls)
	}
}

func stringLit(e ast.Expr) (string, bool) {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(b.Value)
	return s, err == nil
}

// argsTaken is how many arguments fmt reads for format. With an explicit
// index ("%[2]d") fmt does not complain of arguments left over, so ok is
// false and n is the highest index, which must still be passed.
func argsTaken(format string) (n int, ok bool) {
	next, most, reordered := 0, 0, false
	take := func() {
		next++
		most = max(most, next)
	}
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("+-# 0", format[i]) >= 0 {
			i++
		}
		index := func() {
			if i < len(format) && format[i] == '[' {
				j := strings.IndexByte(format[i:], ']')
				if j < 0 {
					return
				}
				if k, err := strconv.Atoi(format[i+1 : i+j]); err == nil {
					next, reordered = k-1, true
				}
				i += j + 1
			}
		}
		width := func() {
			index()
			if i < len(format) && format[i] == '*' {
				take()
				i++
				return
			}
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
			}
		}
		width()
		if i < len(format) && format[i] == '.' {
			i++
			width()
		}
		index()
		if i < len(format) && format[i] != '%' {
			take()
		}
	}
	return most, !reordered
}
