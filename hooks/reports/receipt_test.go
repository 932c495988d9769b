package reports_test

import (
	"errors"
	"testing"

	"homeward/hooks/reports"
)

func TestNormalizeReceiptAcceptsHowPeopleWriteIt(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		err            error
	}{
		{"grouped with spaces", "4821 0937 5512 8064 2290", "48210937551280642290", nil},
		{"dashes", "4821-0937-5512-8064-2290", "48210937551280642290", nil},
		{"bare", "48210937551280642290", "48210937551280642290", nil},
		{"Thai digits", "๔๘๒๑ ๐๙๓๗ ๕๕๑๒ ๘๐๖๔ ๒๒๙๐", "48210937551280642290", nil},
		{"Khmer digits", "៤៨២១ ០៩៣៧ ៥៥១២ ៨០៦៤ ២២៩០", "48210937551280642290", nil},
		{"Burmese digits", "၄၈၂၁ ၀၉၃၇ ၅၅၁၂ ၈၀၆၄ ၂၂၉၀", "48210937551280642290", nil},
		{"too short", "4821 0937 5512 8064", "", reports.ErrBadReceipt},
		{"too long", "4821 0937 5512 8064 2290 1", "", reports.ErrBadReceipt},
		{"letters", "4821 0937 5512 8064 229O", "", reports.ErrBadReceipt},
		{"empty", "", "", reports.ErrBadReceipt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := reports.NormalizeReceipt(tc.in)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("NormalizeReceipt(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestReceiptHashIsKeyedAndStable(t *testing.T) {
	a := reports.NewReceipts([]byte("0123456789abcdef0123456789abcdef"))
	b := reports.NewReceipts([]byte("fedcba9876543210fedcba9876543210"))
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
	a := reports.NewReceipts([]byte("0123456789abcdef0123456789abcdef"))
	b := reports.NewReceipts([]byte("fedcba9876543210fedcba9876543210"))
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
	first, err := reports.LoadReceipts(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := reports.LoadReceipts(dir)
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
	for _, s := range []string{"4821 0937 5512 8064 2290", "๔๘๒๑", "", "\xff\xfe", "1-2-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := reports.NormalizeReceipt(in)
		if err != nil {
			return
		}
		if len(out) != reports.ReceiptDigits {
			t.Fatalf("NormalizeReceipt(%q) = %q: not %d digits", in, out, reports.ReceiptDigits)
		}
		for _, r := range out {
			if r < '0' || r > '9' {
				t.Fatalf("NormalizeReceipt(%q) = %q: not ASCII digits", in, out)
			}
		}
	})
}
