// Command genjs writes the domain vocabulary as the ES module the web apps
// import (pb_public/js/vocabulary.js).
package main

import (
	"log"
	"os"

	"homeward/internal/vocab"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: genjs OUT.js")
	}
	if err := os.WriteFile(os.Args[1], vocab.JS(), 0o644); err != nil {
		log.Fatal(err)
	}
}
