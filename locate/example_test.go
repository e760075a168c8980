package locate_test

import (
	"errors"
	"fmt"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/locate"
)

func ExampleLocator_Locate() {
	l := locate.New()
	for _, p := range []signedcall.Profile{
		{ID: "own-zone", Phone: "+13055550123", TimeZone: "America/Chicago"},
		{ID: "miami", Phone: "+13055550123"},
		{ID: "miami-fr", Phone: "+13055550123", Country: "FR"},
		{ID: "uk-mobile", Phone: "+447400123456", City: "London", Country: "GB"},
		{ID: "paris", City: "Paris", Country: "FR"},
		{ID: "tokyo", Location: &signedcall.LatLng{Lat: 35.68, Lon: 139.69}},
		{ID: "nothing"},
	} {
		loc, err := l.Locate(&p)
		if err != nil {
			fmt.Println(p.ID, err)
			continue
		}
		fmt.Printf("%s %v %q %v %v\n", p.ID, loc.Zones, loc.Source,
			loc.Countries, loc.Subdivisions)
	}

	_, err := l.Locate(&signedcall.Profile{Phone: "+19995550123"})
	fmt.Println(errors.Is(err, signedcall.ErrInvalidPhone), err)
	// Output:
	// own-zone [America/Chicago] "profile" [US] [US-FL]
	// miami [America/New_York] "phone" [US] [US-FL]
	// miami-fr [America/New_York] "phone" [US FR] [US-FL]
	// uk-mobile [Europe/London Europe/Guernsey Europe/Isle_of_Man Europe/Jersey] "phone" [GB] []
	// paris [Europe/Paris] "city" [FR] []
	// tokyo [Asia/Tokyo] "coordinates" [] []
	// nothing [] "" [] []
	// true locate: phone +19*******23 is not a valid number: signedcall: invalid phone number
}
