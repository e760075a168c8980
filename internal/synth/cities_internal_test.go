package synth

import (
	"strings"
	"testing"
)

func TestParseCitiesRejects(t *testing.T) {
	const head = "name,country,region,lat,lon,time_zone,population\n"
	good := "Leeds,GB,West Yorkshire,53.83,-1.58,Europe/London,992062\n"
	if cs, err := parseCities(strings.NewReader(head + good)); err != nil ||
		len(cs) != 1 || cs[0].Population != 992062 || cs[0].Lon != -1.58 {
		t.Fatalf("good row: %v, %v", cs, err)
	}
	bad := map[string]string{
		"no rows":     head,
		"header":      "name,country,lat,lon,region,time_zone,population\n" + good,
		"latitude":    head + "X,GB,R,93,0,Europe/London,1\n",
		"longitude":   head + "X,GB,R,50,-181,Europe/London,1\n",
		"not a float": head + "X,GB,R,north,0,Europe/London,1\n",
		"country":     head + "X,gb,R,50,0,Europe/London,1\n",
		"zone":        head + "X,GB,R,50,0,,1\n",
		"population":  head + "X,GB,R,50,0,Europe/London,-5\n",
		"fields":      head + "X,GB,R,50,0,Europe/London\n",
	}
	for name, in := range bad {
		_, err := parseCities(strings.NewReader(in))
		if err == nil || !strings.HasPrefix(err.Error(), "synth: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
