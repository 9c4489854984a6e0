package rules

import (
	"slices"
	"testing"
)

// TestSubjectShapesComplete: every built-in rule declares its subject shape,
// and no shape is declared for a rule that does not exist.
func TestSubjectShapesComplete(t *testing.T) {
	ids := RuleIDs()
	for _, id := range ids {
		if _, ok := SubjectShape(id); !ok {
			t.Errorf("rule %s has no subject shape in subjectShapes", id)
		}
	}
	for id := range subjectShapes {
		if !slices.Contains(ids, id) {
			t.Errorf("subjectShapes names %s, which is no rule", id)
		}
	}
}
