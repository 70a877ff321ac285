package sinch_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// internalAliases are the public names that are aliases of internal types
// on purpose: package call returns the same types and cannot import package
// sinch. Their go doc lists their fields and methods.
var internalAliases = map[string]bool{"sinch.SinchError": true, "sinch.ErrorType": true}

// TestPublicAPINamesNoInternalType: every type a user meets in the exported
// API of a public package (parameters, results, exported fields and
// methods) is one they can name; an internal type would show in go doc as
// something user code cannot write. And no public package but sinch
// exports a constructor of its Controller.
func TestPublicAPINamesNoInternalType(t *testing.T) {
	for _, dir := range []string{".", "call", "audio", "video", "auth", "ocratest"} {
		fset := token.NewFileSet()
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			internal := map[string]string{} // import name -> path, of internal packages
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if !strings.Contains(path, "/internal/") {
					continue
				}
				name := path[strings.LastIndex(path, "/")+1:]
				if imp.Name != nil {
					name = imp.Name.Name
				}
				internal[name] = path
			}
			check := func(where string, n ast.Node) {
				if n == nil {
					return
				}
				ast.Inspect(n, func(n ast.Node) bool {
					sel, ok := n.(*ast.SelectorExpr)
					if !ok {
						return true
					}
					if id, ok := sel.X.(*ast.Ident); ok && internal[id.Name] != "" {
						t.Errorf("%s: %s names %s.%s (%s), which user code cannot name", fset.Position(sel.Pos()), where, id.Name, sel.Sel.Name, internal[id.Name])
					}
					return true
				})
			}
			for _, decl := range f.Decls {
				switch d := decl.(type) {
				case *ast.FuncDecl:
					if !d.Name.IsExported() || (d.Recv != nil && !exportedReceiver(d.Recv)) {
						continue
					}
					check(f.Name.Name+"."+d.Name.Name, d.Type)
					if d.Recv == nil && dir != "." && returnsController(d.Type) {
						t.Errorf("%s: %s.%s builds a Controller: users get theirs from SinchClient", fset.Position(d.Pos()), f.Name.Name, d.Name.Name)
					}
				case *ast.GenDecl:
					for _, spec := range d.Specs {
						switch s := spec.(type) {
						case *ast.TypeSpec:
							where := f.Name.Name + "." + s.Name.Name
							if !s.Name.IsExported() || (s.Assign.IsValid() && internalAliases[where]) {
								continue
							}
							checkType(where, s.Type, check)
						case *ast.ValueSpec:
							for _, n := range s.Names {
								if n.IsExported() {
									check(f.Name.Name+"."+n.Name, s.Type)
								}
							}
						}
					}
				}
			}
		}
	}
}

// checkType checks what a user sees of a type: its exported fields and
// methods, or the whole of any other type expression.
func checkType(where string, typ ast.Expr, check func(string, ast.Node)) {
	var fields *ast.FieldList
	switch st := typ.(type) {
	case *ast.StructType:
		fields = st.Fields
	case *ast.InterfaceType:
		fields = st.Methods
	default:
		check(where, typ)
		return
	}
	for _, fld := range fields.List {
		if len(fld.Names) == 0 { // embedded: its exported members are promoted
			check(where, fld.Type)
			continue
		}
		for _, n := range fld.Names {
			if n.IsExported() {
				check(where+"."+n.Name, fld.Type)
			}
		}
	}
}

func exportedReceiver(recv *ast.FieldList) bool {
	typ := recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if idx, ok := typ.(*ast.IndexExpr); ok {
		typ = idx.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

// returnsController reports whether a function returns a Controller of its
// own package: only package sinch builds those (see internal/hook).
func returnsController(fn *ast.FuncType) bool {
	if fn.Results == nil {
		return false
	}
	for _, r := range fn.Results.List {
		typ := r.Type
		if star, ok := typ.(*ast.StarExpr); ok {
			typ = star.X
		}
		if id, ok := typ.(*ast.Ident); ok && id.Name == "Controller" {
			return true
		}
	}
	return false
}
