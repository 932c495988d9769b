package qr

// languageNames are the languages of the data model, in their own script,
// for "languages spoken" and the poster.
var languageNames = map[string]string{
	"en":  "English",
	"id":  "Bahasa Indonesia",
	"zh":  "中文",
	"vi":  "Tiếng Việt",
	"th":  "ไทย",
	"my":  "မြန်မာ",
	"km":  "ខ្មែរ",
	"fil": "Filipino",
}

// posterLines is the poster's call to action in each language. The English
// line is always printed too; the others need a native speaker's review
// before a campaign (see docs/api/qr.md).
var posterLines = map[string]string{
	"en":  "Scan to contact your embassy.",
	"id":  "Pindai untuk menghubungi kedutaan Anda.",
	"zh":  "扫码联系您的大使馆。",
	"vi":  "Quét mã để liên hệ đại sứ quán của bạn.",
	"th":  "สแกนเพื่อติดต่อสถานทูตของคุณ",
	"my":  "သင့်သံရုံးကို ဆက်သွယ်ရန် စကင်ဖတ်ပါ။",
	"km":  "ស្កេនដើម្បីទាក់ទងស្ថានទូតរបស់អ្នក។",
	"fil": "I-scan para makipag-ugnayan sa inyong embahada.",
}

// knownLanguage reports whether lang is one of the data model's languages.
func knownLanguage(lang string) bool {
	_, ok := languageNames[lang]
	return ok
}
