package main

import (
	"testing"
)

// TestSurgeStoresEverythingOnce runs the surge with a few phones, as a
// check of correctness only: every report and photo the phones sent is
// stored once, whatever the emulated 2G links cut. The speed is measured
// by the program (go run ./bench/sync -only surge), never asserted.
func TestSurgeStoresEverythingOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary with 20 phones on emulated 2G")
	}
	const phones = 20
	r, err := runSurge(surgeConfig{Phones: phones})
	if err != nil {
		t.Fatal(err)
	}
	if r.ReportsStored != phones || r.ReportsLost != 0 || r.ReportsDuplicated != 0 {
		t.Fatalf("reports: %d stored, %d lost, %d duplicated; want %d, 0, 0", r.ReportsStored, r.ReportsLost, r.ReportsDuplicated, phones)
	}
	if r.PhotosStored != phones || r.PhotosLost != 0 || r.PhotosDup != 0 {
		t.Fatalf("photos: %d stored, %d lost, %d duplicated; want %d, 0, 0", r.PhotosStored, r.PhotosLost, r.PhotosDup, phones)
	}
	if len(r.List) == 0 {
		t.Fatal("the staff member made no list request during the surge")
	}
}
