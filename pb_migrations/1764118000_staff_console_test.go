package pb_migrations

import (
	"slices"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// TestStaffConsoleMigrationDownAndUp runs the down step and the up step
// again on a migrated app, and checks each leaves the schema as it should.
func TestStaffConsoleMigrationDownAndUp(t *testing.T) {
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()

	check := func(up bool) {
		t.Helper()
		reports, err := app.FindCollectionByNameOrId("reports")
		if err != nil {
			t.Fatal(err)
		}
		for _, idx := range staffFilterIndexes {
			if has := reports.GetIndex(idx[0]) != ""; has != up {
				t.Errorf("index %s present = %v, want %v", idx[0], has, up)
			}
		}
		if got := presentable(reports, "nationality"); got != up {
			t.Errorf("reports.nationality presentable = %v, want %v", got, up)
		}
		if got := presentable(reports, "embassy"); got == up {
			t.Errorf("reports.embassy presentable = %v, want %v", got, !up)
		}
		wantOrder := dashboardOrder["reports"].before
		if up {
			wantOrder = dashboardOrder["reports"].up
		}
		if got := reports.Fields.FieldNames()[:len(wantOrder)]; !slices.Equal(got, wantOrder) {
			t.Errorf("reports fields start %v, want %v", got, wantOrder)
		}
		staff, err := app.FindCollectionByNameOrId("staff")
		if err != nil {
			t.Fatal(err)
		}
		if got := staff.AuthToken.Duration; (got == staffTokenAfter) != up {
			t.Errorf("staff token duration %d after up=%v", got, up)
		}
		events, err := app.FindCollectionByNameOrId("report_events")
		if err != nil {
			t.Fatal(err)
		}
		want := eventsCreateRuleBefore
		if up {
			want = eventsCreateRuleAfter
		}
		if events.CreateRule == nil || *events.CreateRule != want {
			t.Errorf("report_events create rule = %v, want %q", events.CreateRule, want)
		}
	}

	check(true)
	if err := applyStaffConsole(app, false); err != nil {
		t.Fatal(err)
	}
	check(false)
	if err := applyStaffConsole(app, true); err != nil {
		t.Fatal(err)
	}
	check(true)
}

func presentable(c *core.Collection, name string) bool {
	switch f := c.Fields.GetByName(name).(type) {
	case *core.TextField:
		return f.Presentable
	case *core.RelationField:
		return f.Presentable
	}
	return false
}
