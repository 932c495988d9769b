package receipts

import "testing"

func TestDerivedReceiptsAreStableCheckedAndKeyed(t *testing.T) {
	a, b := New([]byte("key a")), New([]byte("key b"))
	code := a.Derive("openrosa", "uuid:6b0e0f3e-0d51-4a4c-9d2f-1b0f3c0e2a11")
	if len(code) != Digits || !Checks(code) {
		t.Fatalf("derived code %q is not a checked %d-digit receipt", code, Digits)
	}
	if again := a.Derive("openrosa", "uuid:6b0e0f3e-0d51-4a4c-9d2f-1b0f3c0e2a11"); again != code {
		t.Fatalf("same id gave %q then %q", code, again)
	}
	if other := a.Derive("openrosa", "uuid:6b0e0f3e-0d51-4a4c-9d2f-1b0f3c0e2a12"); other == code {
		t.Fatal("two ids gave the same code")
	}
	if other := b.Derive("openrosa", "uuid:6b0e0f3e-0d51-4a4c-9d2f-1b0f3c0e2a11"); other == code {
		t.Fatal("another key gave the same code")
	}
	if _, err := a.Hash(code); err != nil {
		t.Fatalf("a derived code does not hash as a receipt: %v", err)
	}
}
