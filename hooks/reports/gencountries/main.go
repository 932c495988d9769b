// Command gencountries writes the names of the listed nationalities in the
// app's languages (CLDR, through golang.org/x/text) as the JSON the phone
// and the staff console label the nationality list with.
package main

import (
	"log"
	"os"

	"homeward/hooks/reports"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: gencountries OUT.json")
	}
	if err := os.WriteFile(os.Args[1], reports.CountriesJSON(), 0o644); err != nil {
		log.Fatal(err)
	}
}
