package qr

import (
	"slices"
	"strings"

	"homeward/internal/vocab"
)

// posterLines is the poster's call to action in each language. The English
// line is always printed too; the others need a native speaker's review
// before a campaign (see docs/API.md).
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

// knownLanguage reports whether lang is one of the app's languages.
func knownLanguage(lang string) bool {
	return slices.Contains(vocab.Languages, lang)
}

// phrases are the key words of the contact and warning pages. A page in
// another language shows each one in that language with the English below
// it, so a reader is never left with only a draft translation. The
// translations are drafts for a native speaker's review (docs/API.md);
// a missing one falls back to English alone.
var phrases = map[string]map[string]string{
	"genuine": {
		"en": "Genuine code", "id": "Kode asli", "zh": "真实二维码", "vi": "Mã thật", "th": "รหัสของจริง",
		"my": "စစ်မှန်သော ကုဒ်", "km": "កូដពិត", "fil": "Tunay na code",
	},
	"official": {
		"en": "Official contacts", "id": "Kontak resmi", "zh": "官方联系方式", "vi": "Liên hệ chính thức", "th": "ช่องทางติดต่ออย่างเป็นทางการ",
		"my": "တရားဝင် ဆက်သွယ်ရန်", "km": "ទំនាក់ទំនងផ្លូវការ", "fil": "Opisyal na mga contact",
	},
	"call": {
		"en": "Call the hotline", "id": "Telepon hotline", "zh": "拨打热线", "vi": "Gọi đường dây nóng", "th": "โทรสายด่วน",
		"my": "အရေးပေါ်ဖုန်းကို ခေါ်ပါ", "km": "ហៅទូរស័ព្ទបន្ទាន់", "fil": "Tawagan ang hotline",
	},
	"message": {
		"en": "Message", "id": "Kirim pesan", "zh": "发送消息", "vi": "Nhắn tin", "th": "ส่งข้อความ",
		"my": "စာပို့ပါ", "km": "ផ្ញើសារ", "fil": "Magpadala ng mensahe",
	},
	"report": {
		"en": "File a report", "id": "Buat laporan", "zh": "提交报告", "vi": "Gửi báo cáo", "th": "แจ้งเรื่อง",
		"my": "တိုင်ကြားချက် ပေးပို့ပါ", "km": "ដាក់របាយការណ៍", "fil": "Mag-file ng ulat",
	},
	"address": {
		"en": "Address", "id": "Alamat", "zh": "地址", "vi": "Địa chỉ", "th": "ที่อยู่",
		"my": "လိပ်စာ", "km": "អាសយដ្ឋាន", "fil": "Address",
	},
	"hours": {
		"en": "Opening hours", "id": "Jam buka", "zh": "办公时间", "vi": "Giờ làm việc", "th": "เวลาทำการ",
		"my": "ဖွင့်ချိန်", "km": "ម៉ោងធ្វើការ", "fil": "Oras ng opisina",
	},
	"bring": {
		"en": "What to bring", "id": "Yang perlu dibawa", "zh": "需要携带的物品", "vi": "Cần mang theo", "th": "สิ่งที่ต้องนำมา",
		"my": "ယူဆောင်လာရမည့်အရာများ", "km": "អ្វីដែលត្រូវយកមក", "fil": "Mga dapat dalhin",
	},
	"languages": {
		"en": "Languages spoken", "id": "Bahasa yang digunakan", "zh": "可使用的语言", "vi": "Ngôn ngữ sử dụng", "th": "ภาษาที่ใช้ได้",
		"my": "ပြောဆိုနိုင်သော ဘာသာစကားများ", "km": "ភាសាដែលនិយាយ", "fil": "Mga wikang ginagamit",
	},
	"save": {
		"en": "Save the hotline", "id": "Simpan nomor hotline", "zh": "保存热线号码", "vi": "Lưu số đường dây nóng", "th": "บันทึกเบอร์สายด่วน",
		"my": "အရေးပေါ်ဖုန်းနံပါတ်ကို သိမ်းပါ", "km": "រក្សាទុកលេខទូរស័ព្ទបន្ទាន់", "fil": "I-save ang hotline",
	},
	"warning": {
		"en": "Warning: this code may be fake", "id": "Peringatan: kode ini mungkin palsu", "zh": "警告：此二维码可能是假的",
		"vi": "Cảnh báo: mã này có thể là giả", "th": "คำเตือน: รหัสนี้อาจเป็นของปลอม",
		"my": "သတိပေးချက် - ဤကုဒ်သည် အတုဖြစ်နိုင်သည်", "km": "ការព្រមាន៖ កូដនេះអាចជាកូដក្លែងក្លាយ", "fil": "Babala: maaaring peke ang code na ito",
	},
	"dont": {
		"en":  "Do not call numbers, send money or give your passport details because of this code.",
		"id":  "Jangan menelepon nomor, mengirim uang, atau memberikan data paspor Anda karena kode ini.",
		"zh":  "不要因为此二维码拨打电话、汇款或提供护照信息。",
		"vi":  "Đừng gọi số điện thoại, chuyển tiền hoặc cung cấp thông tin hộ chiếu vì mã này.",
		"th":  "อย่าโทร โอนเงิน หรือให้ข้อมูลหนังสือเดินทางเพราะรหัสนี้",
		"my":  "ဤကုဒ်ကြောင့် ဖုန်းမခေါ်ပါနှင့်၊ ငွေမပို့ပါနှင့်၊ နိုင်ငံကူးလက်မှတ် အချက်အလက် မပေးပါနှင့်။",
		"km":  "កុំហៅលេខ ផ្ញើប្រាក់ ឬផ្តល់ព័ត៌មានលិខិតឆ្លងដែនរបស់អ្នក ដោយសារកូដនេះ។",
		"fil": "Huwag tumawag sa mga numero, magpadala ng pera, o ibigay ang detalye ng iyong pasaporte dahil sa code na ito.",
	},
	"safely": {
		"en": "How to reach the embassy safely", "id": "Cara menghubungi kedutaan dengan aman", "zh": "如何安全地联系大使馆",
		"vi": "Cách liên hệ đại sứ quán an toàn", "th": "วิธีติดต่อสถานทูตอย่างปลอดภัย",
		"my": "သံရုံးကို လုံခြုံစွာ ဆက်သွယ်နည်း", "km": "របៀបទាក់ទងស្ថានទូតដោយសុវត្ថិភាព", "fil": "Paano ligtas na makipag-ugnayan sa embahada",
	},
	"list": {
		"en": "Find your embassy in the official list", "id": "Cari kedutaan Anda di daftar resmi", "zh": "在官方列表中查找您的大使馆",
		"vi": "Tìm đại sứ quán của bạn trong danh sách chính thức", "th": "ค้นหาสถานทูตของคุณในรายชื่ออย่างเป็นทางการ",
		"my": "တရားဝင်စာရင်းတွင် သင့်သံရုံးကို ရှာပါ", "km": "ស្វែងរកស្ថានទូតរបស់អ្នកក្នុងបញ្ជីផ្លូវការ", "fil": "Hanapin ang iyong embahada sa opisyal na listahan",
	},
}

// phrase is one key phrase as a page shows it.
type phrase struct {
	Text    string
	Lang    string
	English string // set when Text is a translation
}

// translate returns key in lang, with the English alongside, or English
// alone when lang is English or has no translation.
func translate(key, lang string) phrase {
	p := phrases[key]
	if text, ok := p[lang]; ok && lang != "en" {
		return phrase{Text: text, Lang: lang, English: p["en"]}
	}
	return phrase{Text: p["en"], Lang: "en"}
}

// pageLanguage picks a page's language: the one given (a link's or
// ?lang=) if known, else the browser's first known language, else English.
func pageLanguage(given, acceptLanguage string) string {
	if knownLanguage(given) {
		return given
	}
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		base := strings.SplitN(tag, "-", 2)[0]
		if base == "tl" { // Tagalog: Filipino speakers' browsers often say so
			base = "fil"
		}
		if knownLanguage(base) {
			return base
		}
	}
	return "en"
}
