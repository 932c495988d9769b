package addrlimit

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiterCountsEachAddressInItsWindow(t *testing.T) {
	l := New(3, time.Hour)
	for i := 1; i <= 3; i++ {
		if l.Hit("a") {
			t.Fatalf("hit %d of 3 refused", i)
		}
	}
	if !l.Hit("a") {
		t.Fatal("the fourth hit in the window was allowed")
	}
	if l.Hit("b") {
		t.Fatal("another address shares the first one's count")
	}

	// A window that has passed starts again.
	l = New(1, time.Millisecond)
	l.Hit("a")
	time.Sleep(5 * time.Millisecond)
	if l.Hit("a") {
		t.Fatal("a new window still counts the old hits")
	}
}

func TestLimiterForgetsExpiredAddressesUnderAScan(t *testing.T) {
	l := New(1, time.Millisecond)
	for i := range sweepAt {
		l.Hit(fmt.Sprint("addr-", i))
	}
	time.Sleep(5 * time.Millisecond)
	l.Hit("last")
	if n := len(l.hits); n != 1 {
		t.Fatalf("%d addresses kept after their windows passed, want 1", n)
	}
}

func TestTakeCountsAmountsThatFitWhole(t *testing.T) {
	l := New(10, time.Hour)
	if ok, _ := l.Take("a", 6); !ok {
		t.Fatal("6 of 10 refused")
	}
	ok, wait := l.Take("a", 5)
	if ok {
		t.Fatal("6 + 5 of 10 allowed")
	}
	if wait < 59*time.Minute || wait > time.Hour {
		t.Fatalf("wait %v, want the rest of the hour", wait)
	}
	// The refused 5 were not counted: 4 more still fit, then nothing.
	if ok, _ := l.Take("a", 4); !ok {
		t.Fatal("a refused amount was counted")
	}
	if ok, _ := l.Take("a", 1); ok {
		t.Fatal("the window's 11th allowed")
	}
	if ok, _ := l.Take("b", 10); !ok {
		t.Fatal("another address shares the first one's count")
	}
	l = New(1, time.Millisecond)
	l.Take("a", 1)
	time.Sleep(5 * time.Millisecond)
	if ok, _ := l.Take("a", 1); !ok {
		t.Fatal("a new window still counts the old amount")
	}
}
