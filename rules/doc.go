// Package rules ships calling-hour laws as [signedcall.RulePack] data:
// the local hours a call may start, the days with no calls and the
// per-person limits of a country or state. [Default] returns a
// [signedcall.RuleSet] with every pack; a host overrides a pack by
// adding its own with the same ID, and builds holiday lists of its own
// with [Calendar].
//
// # Disclaimer
//
// Each pack encodes the rule cited in its Source as that text read on
// its Checked date (2026-12-03 for every pack here), for the common case
// of an unsolicited sales call by a live or automated caller. Laws
// change, have exemptions (consent, existing customers, charities) and
// add rules no pack models (do-not-call registers, consent to automated
// calls, caller ID). The packs are an aid, not legal advice: the host
// placing the calls remains responsible for obeying the law that applies
// to them, and should have the packs it relies on reviewed.
//
// # Packs
//
// Every pack has version [Version]. Hours are the called person's local
// time; a window [From, To) lets a call start from From up to, not at,
// To.
//
//	ID     Hours                              Days with no calls        Limit
//	US     every day 08:00-21:00              -                         -
//	US-FL  every day 08:00-20:00              -                         3 per 24h, same campaign
//	US-MD  every day 08:00-20:00              -                         3 per 24h, same campaign
//	US-OK  every day 08:00-20:00              -                         3 per 24h, same campaign
//	US-RI  Mon-Fri 09:00-18:00,               Sunday, US federal and    -
//	       Sat 10:00-17:00                    Rhode Island holidays
//	US-WA  every day 08:00-20:00              -                         -
//	CA     Mon-Fri 09:00-21:30,               -                         -
//	       Sat-Sun 10:00-18:00
//	IN     every day 09:00-21:00              -                         -
//	AU     Mon-Fri 09:00-20:00,               Sunday, national public   -
//	       Sat 09:00-17:00                    holidays
//	FR     Mon-Fri 10:00-13:00, 14:00-20:00   Saturday, Sunday, public  4 per 30 days, any campaign
//	                                          holidays
//
// Sources, as each pack's Source field gives them:
//
//	US     47 C.F.R. § 64.1200(c)(1); 16 C.F.R. § 310.4(c)
//	US-FL  Fla. Stat. § 501.616(6)(a)-(b), as amended by ch. 2021-185,
//	       Laws of Fla.
//	US-MD  Md. Code Ann., Com. Law § 14-4503 (Stop the Spam Calls Act of
//	       2023)
//	US-OK  Okla. Stat. tit. 15, § 775C.4 (Telephone Solicitation Act of
//	       2022)
//	US-RI  R.I. Gen. Laws § 5-61-3.6 and § 5-61-2 ("hours of operation");
//	       holidays per R.I. Gen. Laws § 25-1-1 and 5 U.S.C. § 6103
//	US-WA  RCW 19.158.040(2)
//	CA     CRTC Unsolicited Telecommunications Rules, Part III
//	       (Telemarketing Rules), calling hours
//	IN     TRAI Telecom Commercial Communications Customer Preference
//	       Regulations, 2018
//	AU     Telecommunications (Telemarketing and Research Calls) Industry
//	       Standard 2017
//	FR     Code de la consommation, art. L. 223-1 and D. 223-9 (Décret
//	       n° 2022-1313 du 13 octobre 2022); holidays of Code du travail,
//	       art. L. 3133-1
//
// A state pack adds to its country's pack: a call to Florida must pass
// both US and US-FL, which [signedcall.RuleSet.ForRegion] returns
// together.
//
// # Limits
//
// "3 calls in 24 hours on the same subject" is encoded as
// [signedcall.ScopePersonCampaign]: one campaign is taken to be one
// subject. A host whose campaigns share a subject should add a stricter
// pack. France's "4 calls in 30 days by the same professional" is
// [signedcall.ScopePerson], counting every campaign in the Store, which
// matches the law when one Store serves one professional. The French
// rule that a refusal bars calls for 60 days is not encoded.
//
// # Holidays
//
// Holiday lists come from github.com/rickar/cal/v2, read through
// [Calendar], which bars a holiday's actual date and, when it is moved,
// its observed date.
//
// US-RI bars the eleven US federal holidays of rickar/cal's us package
// (New Year's Day, Martin Luther King Jr. Day, Washington's Birthday,
// Memorial Day, Juneteenth, Independence Day, Labor Day, Columbus Day,
// Veterans Day, Thanksgiving Day, Christmas Day) with their federal
// observed day (Saturday to Friday, Sunday to Monday), and the Rhode
// Island general holidays of § 25-1-1, which rickar/cal lacks and this
// package defines: Rhode Island Independence Day (4 May), Victory Day
// (second Monday of August), election day (the Tuesday after the first
// Monday of November, in even years), and the state's Monday observance
// of a weekend New Year's Day, Independence Day, Veterans Day and
// Christmas Day. The statute exempts only Monday to Friday holidays from
// its hours; the pack also bars a Saturday holiday, to be safe.
//
// AU bars the days that are public holidays throughout Australia: New
// Year's Day, Australia Day, Good Friday, Easter Monday, ANZAC Day,
// Christmas Day and Boxing Day (Proclamation Day in South Australia, the
// same date). rickar/cal's au package has no national list, only state
// lists, so the pack picks these from it, with its weekend substitute
// days (Monday for New Year's Day, Australia Day and Christmas Day, the
// Monday or Tuesday for Boxing Day). For ANZAC Day it uses the
// substitute Monday that WA and the ACT give, which the other states do
// not: a safe reading that loses one calling day in some years. State
// holidays (King's Birthday, Labour Day, Melbourne Cup and the like) are
// not barred.
//
// FR bars the eleven jours fériés of Code du travail art. L. 3133-1,
// which rickar/cal's fr package lists exactly: 1 January, Easter Monday,
// 1 May, 8 May, Ascension, Whit Monday, 14 July, 15 August, 1 November,
// 11 November and 25 December. The Alsace-Moselle days (Good Friday,
// 26 December) and overseas commemorations are not in that article and
// are not barred.
//
// US, US-FL, US-MD, US-OK, US-WA, CA and IN bar no holidays: their
// cited rules have none. Some provinces and states not shipped here do.
package rules
