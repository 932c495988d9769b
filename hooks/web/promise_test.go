package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"homeward/internal/vocab"
)

// oldPromises are the sentences the form used to show: "only the embassy
// can read it", untrue while superusers can read every report.
var oldPromises = []string{
	"Only the embassy can read it.",
	"Ang embahada lang ang makakabasa nito.",
	"Hanya kedutaan yang dapat membacanya.",
	"មានតែស្ថានទូតទេដែលអាចអានបាន។",
	"သံရုံးသာ ဖတ်နိုင်သည်။",
	"มีเพียงสถานทูตที่อ่านได้",
	"Chỉ đại sứ quán đọc được.",
	"只有大使馆可以看到。",
}

// TestFormSaysWhoCanReadAReport keeps the form's privacy sentence true:
// a report is stored readable by its embassy's staff and by the server's
// superusers (PocketBase lets a superuser read every record), so the
// sentence must say so in every language and none may claim "only the
// embassy". Sealed reports would change what may be promised.
func TestFormSaysWhoCanReadAReport(t *testing.T) {
	t.Parallel()
	for _, lang := range vocab.Languages {
		d := map[string]string{}
		if err := json.Unmarshal([]byte(publicFile(t, "i18n/"+lang+".json")), &d); err != nil {
			t.Fatal(err)
		}
		for _, old := range oldPromises {
			if strings.Contains(d["f.hint"], old) {
				t.Errorf("%s.json still promises %q", lang, old)
			}
		}
	}
	en := map[string]string{}
	if err := json.Unmarshal([]byte(publicFile(t, "i18n/en.json")), &en); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(en["f.hint"], "people who run this service") {
		t.Errorf("the form does not say that those who run the service can read reports: %q", en["f.hint"])
	}
	if shell := publicFile(t, "index.html"); !strings.Contains(shell, en["f.hint"]) {
		t.Errorf("index.html's built-in text differs from en.json's f.hint")
	}
}
