// Package synth makes invented user profiles for demos and tests: the
// quickstart's data set is examples/quickstart/testdata/profiles.jsonl,
// written by ./internal/synth/cmd/gen.
//
// # Cities
//
// [Cities] returns the embedded gazetteer data/cities.csv: real cities of
// the United States, Canada and the United Kingdom with coordinates,
// region and IANA time zone taken from a public data package (see
// data/SOURCE.md for its origin, licence and the command that rebuilds
// it).
//
// # Determinism
//
// [Generate] draws everything from math/rand/v2's PCG seeded with
// (Options.Seed, 0x5ca1ab1e0ddba11), so the same Options always give the
// same profiles, byte for byte once written with [WriteJSONL]. It never
// reads the wall clock: event times are relative to Options.Now, and are
// UTC with whole seconds.
//
// # People
//
// Every person is invented. Given and family names come from two short
// built-in lists and are paired at random. IDs are "user-00001" onward.
// E-mail addresses are first.last.N@example.com or @example.org, domains
// reserved for documentation by RFC 2606, and N makes them unique.
//
// Phone numbers are taken only from ranges reserved for fiction, and no
// number is given twice in one data set:
//
//   - United States and Canada: +1 NPA 555 0100 to 0199, where NPA is a
//     real area code of the profile's city (212, 646, 718, 917 ... for New
//     York, 312/773/872 for Chicago, 416/647/437 for Toronto); a city
//     missing from the table uses its capital's code (202 or 613).
//   - United Kingdom: +44 7700 900000 to 900999, Ofcom's drama range.
//
// When every fictional number of a profile's codes is taken, or its
// country has no range here, the profile has no phone (HasPhone false)
// rather than a number that might be real. A data set can hold at most
// 100 numbers per area code and 1,000 United Kingdom numbers.
//
// # Shares
//
// Each profile draws these independently:
//
//   - city: min(3, Profiles/len(Cities)) profiles per city, the rest in
//     proportion to population, then shuffled;
//   - location: the city's coordinates moved uniformly within a 10 km
//     disc, rounded to five decimals;
//   - time zone: the city's, except for 8% of profiles that have none, so
//     that a campaign's own zone is used for them as the fallback when
//     reading do-not-disturb hours in local time;
//   - phone: 10% have none; 5% of those with one unsubscribed from SMS;
//   - e-mail: 3% have none; 4% of those with one unsubscribed from e-mail;
//   - birth date: uniform from 1950-01-01 to 2007-12-31, unknown for 2%;
//   - gender: unknown for 2%, the others female 49%, male 47%, other 4%;
//   - properties: first_name, last_name, plan ("free" 70%, "plus" 20%,
//     "pro" 10%), newsletter (true for 35%), platform ("ios", "android"
//     or "web") and lifetime_value, a float in the profile's currency:
//     spending before the window (more for paid plans) plus every Charged
//     amount in it.
//
// # Events
//
// Events are an e-commerce funnel over the Options.Days (default 60) days
// before Now. 6% of profiles have no events. The others have 1 to 6
// sessions (uniform), started at uniform times in the window, at least
// 30 minutes after the previous session's last event and at least an hour
// before Now. In a session, each step happens only if the one before it
// did, a few seconds to minutes later:
//
//	App Launched        every session
//	Product Viewed      75% of sessions; 1 to 3 views, each with category,
//	                    product_id and price
//	Added To Cart       35% of sessions with views (product_id, price,
//	                    quantity 1 or 2)
//	Checkout Started    60% of carts (amount, currency, items)
//	Charged             70% of checkouts (amount, currency, items)
//
// That is about 26% of sessions with a cart, 16% with a checkout and 11%
// with a charge, and 9 to 10 events per profile on average. Prices come
// from a catalog of 200 products in 8 categories, in USD, CAD (x1.35) or
// GBP (x0.79) by country. A profile's events are in time order.
package synth
