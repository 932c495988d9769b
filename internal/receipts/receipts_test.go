package receipts_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"homeward/internal/receipts"
)

// receiptTable is the table of receipts as people type them, shared with
// the phone's test (hooks/web), so both sides are held to one rule.
type receiptCase struct {
	Name string `json:"name"`
	In   string `json:"in"`
	Want string `json:"want"` // "" for a malformed code
}

func receiptTable(t testing.TB) []receiptCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/receipts.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []receiptCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

func TestNormalizeReceiptAcceptsHowPeopleWriteIt(t *testing.T) {
	for _, tc := range receiptTable(t) {
		t.Run(tc.Name, func(t *testing.T) {
			got, err := receipts.Normalize(tc.In)
			var want error
			if tc.Want == "" {
				want = receipts.ErrMalformed
			}
			if !errors.Is(err, want) || got != tc.Want {
				t.Fatalf("Normalize(%q) = %q, %v; want %q, %v", tc.In, got, err, tc.Want, want)
			}
		})
	}
}

func TestReceiptHashIsKeyedAndStable(t *testing.T) {
	a := receipts.New([]byte("0123456789abcdef0123456789abcdef"))
	b := receipts.New([]byte("fedcba9876543210fedcba9876543210"))
	h1, _ := a.Hash("4821 0937 5512 8064 2290")
	h2, _ := a.Hash("48210937551280642290")
	h3, _ := b.Hash("48210937551280642290")
	if h1 != h2 {
		t.Error("the same receipt written two ways hashed differently")
	}
	if h1 == h3 {
		t.Error("two keys gave the same hash: the hash is not keyed")
	}
	if len(h1) != 64 {
		t.Errorf("hash length %d, want 64 hex characters", len(h1))
	}
}

func TestOpKeyIsKeyedStableAndUnambiguous(t *testing.T) {
	a := receipts.New([]byte("0123456789abcdef0123456789abcdef"))
	b := receipts.New([]byte("fedcba9876543210fedcba9876543210"))
	k := a.OpKey("phone", "op-1")
	if k != a.OpKey("phone", "op-1") || len(k) != 64 {
		t.Fatalf("key %q is not a stable 64-character hash", k)
	}
	if k == b.OpKey("phone", "op-1") {
		t.Error("two server keys gave the same op key: it is not keyed")
	}
	// The split between device and op id counts: these must not meet.
	if a.OpKey("phone-", "1") == a.OpKey("phone", "-1") || a.OpKey("ab", "c") == a.OpKey("a", "bc") {
		t.Error("different (device, op) pairs with the same concatenation share a key")
	}
	if h, _ := a.Hash("48210937551280642290"); h == a.OpKey("", "48210937551280642290") {
		t.Error("an op key equals a receipt hash")
	}
}

func TestLoadReceiptsKeepsItsKeyAcrossStarts(t *testing.T) {
	dir := t.TempDir()
	first, err := receipts.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := receipts.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := first.Hash("48210937551280642290")
	h2, _ := second.Hash("48210937551280642290")
	if h1 != h2 {
		t.Fatal("a restart changed the receipt key: every receipt would stop working")
	}
}

func FuzzNormalizeReceipt(f *testing.F) {
	for _, s := range []string{"4821 0937 5512 8064 2290", "๔๘๒๑", "", "\xff\xfe", "1-2-3",
		"４８２１\u3000０９３７\u3000５５１２\u3000８０６４\u3000２２９０", "\U0001d7ce\u200b\u2212"} {
		f.Add(s)
	}
	for _, tc := range receiptTable(f) {
		f.Add(tc.In)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := receipts.Normalize(in)
		if err != nil {
			return
		}
		if len(out) != receipts.Digits {
			t.Fatalf("Normalize(%q) = %q: not %d digits", in, out, receipts.Digits)
		}
		for _, r := range out {
			if r < '0' || r > '9' {
				t.Fatalf("Normalize(%q) = %q: not ASCII digits", in, out)
			}
		}
		// What was accepted keeps one meaning: its digits, written again
		// in groups, read back the same.
		again, err := receipts.Normalize(out[:4] + "\u3000" + out[4:])
		if err != nil || again != out {
			t.Fatalf("Normalize of %q regrouped = %q, %v", out, again, err)
		}
	})
}
