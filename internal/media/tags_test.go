package media

import (
	"bytes"
	"testing"

	"homeward/internal/media/mediatest"
)

// TestEveryTagFormatIsCleanedOrRefused: each tag format in each kind of
// file is gone from the cleaned bytes (and from what exiftool reads), or
// the file is refused.
func TestEveryTagFormatIsCleanedOrRefused(t *testing.T) {
	for _, s := range mediatest.TaggedSamples() {
		t.Run(s.Name, func(t *testing.T) {
			if !bytes.Contains(s.File, []byte(mediatest.TagPlace)) && !bytes.Contains(s.File, []byte("11.5564")) {
				t.Fatal("the sample carries no location marker")
			}
			out, mime, err := Clean(s.File)
			if s.Mime == "" {
				if err == nil {
					t.Fatalf("stored as %q, want refused", mime)
				}
				return
			}
			if err != nil || mime != s.Mime {
				t.Fatalf("Clean = %q, %v; want %q", mime, err, s.Mime)
			}
			for _, secret := range []string{mediatest.TagPlace, "11.5564", "104.9282", mediatest.TagName} {
				if bytes.Contains(out, []byte(secret)) {
					t.Fatalf("%q survived cleaning", secret)
				}
			}
			if mime == "audio/aac" {
				return // exiftool does not read raw ADTS
			}
			if after, ok := mediatest.ExiftoolReads(t, out); ok {
				for _, secret := range []string{"11.5564", "104.9282", mediatest.TagName} {
					if bytes.Contains([]byte(after), []byte(secret)) {
						t.Fatalf("exiftool still reads %q:\n%s", secret, after)
					}
				}
			}
		})
	}
}

// TestMPEGFramesAreKeptWhole: the audio frames of an MP3 or AAC file are
// kept byte for byte, and a frame cut off by the end of the file goes.
func TestMPEGFramesAreKeptWhole(t *testing.T) {
	frames, adts := mediatest.MPEGFrames(), mediatest.ADTSFrames()
	cases := []struct {
		name       string
		file, want []byte
	}{
		{"MP3 with tags around", bytes.Join([][]byte{mediatest.ID3v2(false), frames, mediatest.APEv2(), mediatest.ID3v1()}, nil), frames},
		{"MP3 cut in its last frame", append(bytes.Clone(frames), 0xff, 0xfb, 0x90, 0x64, 1, 2, 3), frames},
		{"AAC with tags around", bytes.Join([][]byte{mediatest.ID3v2(false), adts, mediatest.Lyrics3v2()}, nil), adts},
		{"MPEG-2 Layer III at 8 kbit/s, 16 kHz", bytes.Repeat(append([]byte{0xff, 0xf3, 0x18, 0xc4}, make([]byte, 32)...), 2), nil},
	}
	// MPEG-2 Layer III, 8 kbit/s, 16 kHz: 72*8000/16000 = 36 bytes a frame.
	cases[3].want = cases[3].file
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := Clean(c.file)
			if err != nil || !bytes.Equal(out, c.want) {
				t.Fatalf("kept %d bytes (%v), want the %d bytes of the frames", len(out), err, len(c.want))
			}
		})
	}
}

func FuzzKeepMPEGFrames(f *testing.F) {
	for _, s := range mediatest.TaggedSamples() {
		if bytes.HasPrefix(s.File, []byte("ID3")) || (len(s.File) > 1 && s.File[0] == 0xff) {
			f.Add(s.File)
		}
	}
	f.Add([]byte("ID3\x04\x00\x10\x00\x00\x00\x00"))
	f.Add([]byte{0xff, 0xfb, 0x90})
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, mime, err := keepMPEGFrames(raw)
		if err != nil {
			return
		}
		if len(out) == 0 || len(out) > len(raw) || (mime != "audio/mpeg" && mime != "audio/aac") {
			t.Fatalf("kept %d of %d bytes as %q", len(out), len(raw), mime)
		}
		// What is kept is frames alone: cleaning it again keeps all of it.
		again, _, err := keepMPEGFrames(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("cleaning the kept frames again changed them: %v", err)
		}
	})
}
