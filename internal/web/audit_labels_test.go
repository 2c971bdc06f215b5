package web

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// TestAuditLabels: every audit action the store writes with a literal
// name is offered in the audit page's filter and has a label in both
// languages, and so has its entity — so a new module cannot add an action
// that the audit page shows as a raw key.
func TestAuditLabels(t *testing.T) {
	files, err := filepath.Glob("../store/*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`audit\(ctx, [A-Za-z.]+, "([a-z_.]+)", "([a-z_]+)"`)
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			seen++
			action, entity := m[1], m[2]
			if !slices.Contains(auditActions, action) {
				t.Errorf("%s: action %q is not in auditActions", filepath.Base(f), action)
			}
			if !slices.Contains(auditEntities, entity) {
				t.Errorf("%s: entity %q is not in auditEntities", filepath.Base(f), entity)
			}
		}
	}
	if seen < 40 {
		t.Fatalf("found only %d audit calls; the pattern no longer matches the store's code", seen)
	}
	for _, a := range auditActions {
		if _, ok := messages["audit.action."+a]; !ok {
			t.Errorf("no label for action %q", a)
		}
	}
	for _, e := range auditEntities {
		if _, ok := messages["audit.entity."+e]; !ok {
			t.Errorf("no label for entity %q", e)
		}
	}
}
