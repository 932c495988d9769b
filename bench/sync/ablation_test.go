package main

import (
	"os/exec"
	"testing"
)

// TestAblationPatchApplies keeps bench/sync/ablation.patch, which
// docs/benchmarks/sync.md cites, in step with the code it patches.
func TestAblationPatchApplies(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	if err := exec.Command("git", "-C", "../..", "rev-parse", "--git-dir").Run(); err != nil {
		t.Skip("not a git checkout")
	}
	out, err := exec.Command("git", "-C", "../..", "apply", "--check", "bench/sync/ablation.patch").CombinedOutput()
	if err != nil {
		t.Fatalf("bench/sync/ablation.patch no longer applies; redo it against the current code:\n%s", out)
	}
}
