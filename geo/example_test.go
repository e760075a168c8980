package geo_test

import (
	"fmt"

	"github.com/signedcall/signedcall/geo"
)

func ExampleLookup() {
	c, ok := geo.Lookup("CA", "London")
	fmt.Println(c.Name, c.Region, c.TimeZone, ok)
	c, _ = geo.Lookup("", "London") // the most populous London
	fmt.Println(c.Name, c.Country, c.TimeZone)
	c, _ = geo.Lookup("BR", "São Paulo")
	fmt.Println(c.Name, c.TimeZone)
	// Output:
	// London Ontario America/Toronto true
	// London GB Europe/London
	// Sao Paulo America/Sao_Paulo
}

func ExampleLookupAll() {
	for _, c := range geo.LookupAll("", "Portland") {
		fmt.Println(c.Country, c.Region, c.Population)
	}
	// Output:
	// US OR 1207757
	// US ME 99504
	// AU Victoria 10325
}

func ExampleNearest() {
	c, km, ok := geo.Nearest(-18.0, 178.5) // near Suva, Fiji
	fmt.Printf("%s %s %.0f km %v\n", c.Name, c.TimeZone, km, ok)
	// Output:
	// Suva Pacific/Fiji 16 km true
}

func ExampleZoneAt() {
	fmt.Println(geo.ZoneAt(48.85, 2.35)) // Paris
	fmt.Println(geo.ZoneAt(0, -140))     // mid-Pacific
	// Output:
	// Europe/Paris true
	//  false
}

func ExampleZones() {
	fmt.Println(geo.Zones("AU"))
	// Output:
	// [Australia/Adelaide Australia/Brisbane Australia/Broken_Hill Australia/Darwin Australia/Hobart Australia/Melbourne Australia/Perth Australia/Sydney]
}
