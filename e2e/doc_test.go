// Package e2e_test holds whole-system tests: the real binary and real
// browsers through a whole session, each long enough to want a package,
// and so a go test timeout, of its own.
package e2e_test

import (
	"testing"

	"homeward/internal/binarytest"
)

func TestMain(m *testing.M) { binarytest.Main(m) }
