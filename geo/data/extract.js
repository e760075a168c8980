// extract.js writes cities.tsv from the city-timezones npm package.
// See SOURCE.md for the command that runs it.
'use strict';

const cities = require('city-timezones/data/cityMap.json');
const pkg = require('city-timezones/package.json');

// Rows whose iso2 is not a two-letter code (-99 or empty) are mapped
// by their iso3. KOS is Kosovo, for which XK is the user-assigned code
// in common use (ISO 3166-1 itself has none); SOL is Somaliland, which
// ISO 3166-1 counts as part of Somalia (SO). Any other bad code fails.
const byIso3 = { KOS: 'XK', SOL: 'SO' };

function country(c) {
  if (typeof c.iso2 === 'string' && /^[A-Z]{2}$/.test(c.iso2)) {
    return c.iso2;
  }
  const cc = byIso3[c.iso3];
  if (!cc) throw new Error(`${c.city}: bad iso2 ${JSON.stringify(c.iso2)}`);
  return cc;
}

// The region is state_ansi for US rows that have it (as in
// internal/synth/data) and the package's province otherwise.
function region(c) {
  return c.iso2 === 'US' && c.state_ansi ? c.state_ansi : c.province;
}

// Coordinates must be finite, in range and not exactly (0, 0), the
// package's placeholder for one city it could not place.
function validCoords(c) {
  return typeof c.lat === 'number' && typeof c.lng === 'number' &&
    Number.isFinite(c.lat) && Number.isFinite(c.lng) &&
    Math.abs(c.lat) <= 90 && Math.abs(c.lng) <= 180 &&
    !(c.lat === 0 && c.lng === 0);
}

function field(v) {
  const s = String(v);
  if (/[\t\n\r]/.test(s)) throw new Error(`tab or newline in ${s}`);
  return s;
}

const out = ['name\tascii\tcountry\tregion\tlat\tlon\tzone\tpopulation'];
let noZone = 0;
let badCoords = 0;
let both = 0;
for (const c of cities) {
  const z = typeof c.timezone === 'string' && c.timezone !== '';
  const ok = validCoords(c);
  if (!z) noZone++;
  if (!ok) badCoords++;
  if (!z && !ok) both++;
  if (!z || !ok) continue;
  // The ascii column is left empty when it equals the name. A negative
  // population (-99, the package's "unknown") is written as 0; others
  // are rounded to the nearest integer.
  const ascii = c.city_ascii === c.city ? '' : c.city_ascii;
  const pop = c.pop < 0 ? 0 : Math.round(c.pop);
  out.push([c.city, ascii, country(c), region(c), c.lat, c.lng,
    c.timezone, pop].map(field).join('\t'));
}
process.stdout.write(out.join('\n') + '\n');
process.stderr.write(`${pkg.name}@${pkg.version}: ${cities.length} records, ` +
  `${out.length - 1} kept, ${noZone} without zone, ${badCoords} with ` +
  `invalid coordinates (${both} both)\n`);
