// extract.js writes cities.csv from the city-timezones npm package.
// See SOURCE.md for the command that runs it.
'use strict';

const cities = require('city-timezones/data/cityMap.json');
const pkg = require('city-timezones/package.json');

// Each entry is [ISO 3166-1 alpha-2, city_ascii, region]. The region is
// state_ansi for the United States (province where the package has no
// state_ansi) and province elsewhere, exactly as the package spells it.
const pick = [
  // America/New_York
  ['US', 'New York', 'NY'],
  ['US', 'Newark', 'NJ'],
  ['US', 'Paterson', 'NJ'],
  ['US', 'Stamford', 'CT'],
  ['US', 'Philadelphia', 'PA'],
  ['US', 'Pittsburgh', 'PA'],
  ['US', 'Boston', 'MA'],
  ['US', 'Buffalo', 'NY'],
  ['US', 'Washington, D.C.', 'District of Columbia'],
  ['US', 'Baltimore', 'MD'],
  ['US', 'Atlanta', 'GA'],
  ['US', 'Charlotte', 'NC'],
  ['US', 'Raleigh', 'NC'],
  ['US', 'Cleveland', 'OH'],
  ['US', 'Columbus', 'OH'],
  ['US', 'Miami', 'FL'],
  ['US', 'Miami Beach', 'FL'],
  ['US', 'Orlando', 'FL'],
  ['US', 'Tampa', 'FL'],
  // America/Detroit, Indiana, Kentucky
  ['US', 'Detroit', 'MI'],
  ['US', 'Ann Arbor', 'MI'],
  ['US', 'Indianapolis', 'IN'],
  ['US', 'Louisville', 'KY'],
  // America/Chicago
  ['US', 'Chicago', 'IL'],
  ['US', 'Evanston', 'IL'],
  ['US', 'Oak Park', 'IL'],
  ['US', 'Aurora', 'IL'],
  ['US', 'Milwaukee', 'WI'],
  ['US', 'Minneapolis', 'MN'],
  ['US', 'St. Louis', 'MO'],
  ['US', 'Kansas City', 'MO'],
  ['US', 'Houston', 'TX'],
  ['US', 'Dallas', 'TX'],
  ['US', 'Austin', 'TX'],
  ['US', 'San Antonio', 'TX'],
  ['US', 'New Orleans', 'LA'],
  ['US', 'Nashville', 'TN'],
  // America/Denver, America/Boise, America/Phoenix
  ['US', 'Denver', 'CO'],
  ['US', 'Aurora', 'CO'],
  ['US', 'Boulder', 'CO'],
  ['US', 'Colorado Springs', 'CO'],
  ['US', 'Salt Lake City', 'UT'],
  ['US', 'Albuquerque', 'NM'],
  ['US', 'El Paso', 'TX'],
  ['US', 'Boise', 'ID'],
  ['US', 'Phoenix', 'AZ'],
  ['US', 'Mesa', 'AZ'],
  ['US', 'Glendale', 'AZ'],
  ['US', 'Tucson', 'AZ'],
  // America/Los_Angeles
  ['US', 'Los Angeles', 'CA'],
  ['US', 'Long Beach', 'CA'],
  ['US', 'Pasadena', 'CA'],
  ['US', 'San Diego', 'CA'],
  ['US', 'San Francisco', 'CA'],
  ['US', 'Oakland', 'CA'],
  ['US', 'San Jose', 'CA'],
  ['US', 'Sacramento', 'CA'],
  ['US', 'Las Vegas', 'NV'],
  ['US', 'Portland', 'OR'],
  ['US', 'Seattle', 'WA'],
  ['US', 'Tacoma', 'WA'],
  ['US', 'Spokane', 'WA'],
  // Alaska and Hawaii
  ['US', 'Anchorage', 'AK'],
  ['US', 'Fairbanks', 'AK'],
  ['US', 'Juneau', 'AK'],
  ['US', 'Nome', 'AK'],
  ['US', 'Honolulu', 'HI'],
  ['US', 'Hilo', 'HI'],

  ['CA', 'Toronto', 'Ontario'],
  ['CA', 'Hamilton', 'Ontario'],
  ['CA', 'Oshawa', 'Ontario'],
  ['CA', 'Ottawa', 'Ontario'],
  ['CA', 'Windsor', 'Ontario'],
  ['CA', 'Montréal', 'Québec'],
  ['CA', 'Quebec', 'Québec'],
  ['CA', 'Halifax', 'Nova Scotia'],
  ['CA', 'Moncton', 'New Brunswick'],
  ['CA', "St. John's", 'Newfoundland and Labrador'],
  ['CA', 'Winnipeg', 'Manitoba'],
  ['CA', 'Regina', 'Saskatchewan'],
  ['CA', 'Saskatoon', 'Saskatchewan'],
  ['CA', 'Calgary', 'Alberta'],
  ['CA', 'Edmonton', 'Alberta'],
  ['CA', 'Vancouver', 'British Columbia'],
  ['CA', 'Victoria', 'British Columbia'],
  ['CA', 'Abbotsford', 'British Columbia'],
  ['CA', 'Whitehorse', 'Yukon'],

  ['GB', 'London', 'Westminster'],
  ['GB', 'Luton', 'Luton'],
  ['GB', 'Reading', 'Oxfordshire'],
  ['GB', 'Brighton', 'Brighton and Hove'],
  ['GB', 'Bristol', 'Bristol'],
  ['GB', 'Birmingham', 'West Midlands'],
  ['GB', 'Coventry', 'West Midlands'],
  ['GB', 'Leicester', 'Leicester'],
  ['GB', 'Nottingham', 'Nottingham'],
  ['GB', 'Manchester', 'Manchester'],
  ['GB', 'Liverpool', 'Merseyside'],
  ['GB', 'Leeds', 'West Yorkshire'],
  ['GB', 'Sheffield', 'South Yorkshire'],
  ['GB', 'Newcastle', 'Tyne and Wear'],
  ['GB', 'Cardiff', 'Cardiff'],
  ['GB', 'Swansea', 'Swansea'],
  ['GB', 'Glasgow', 'Glasgow'],
  ['GB', 'Edinburgh', 'Edinburgh'],
  ['GB', 'Aberdeen', 'Aberdeen'],
  ['GB', 'Belfast', 'Belfast'],
];

function region(c) {
  return c.iso2 === 'US' && c.state_ansi ? c.state_ansi : c.province;
}

function field(v) {
  const s = String(v);
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

// The package's names use a typographic apostrophe ("St. John’s"); the
// CSV uses the name the package gives in city_ascii (which keeps the
// accent of "Montréal").
const out = ['name,country,region,lat,lon,time_zone,population'];
for (const [cc, name, reg] of pick) {
  const hits = cities.filter(
    (c) => c.iso2 === cc && c.city_ascii === name && region(c) === reg);
  if (hits.length !== 1) {
    throw new Error(`${cc} ${name} ${reg}: ${hits.length} matches`);
  }
  const c = hits[0];
  if (!c.timezone) throw new Error(`${cc} ${name}: no timezone`);
  out.push([c.city_ascii, c.iso2, region(c), c.lat, c.lng, c.timezone,
    Math.round(c.pop)].map(field).join(','));
}
process.stdout.write(out.join('\n') + '\n');
process.stderr.write(`${pkg.name}@${pkg.version}: ${pick.length} cities\n`);
