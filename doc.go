// Package signedcall runs outbound voice-call campaigns inside a host
// application. The host brings its users (a [ProfileSource]), its storage
// (a [Store]) and its call transport (a [Caller]); the package decides who
// is called and when, places the calls, and records what happened, so
// that nobody is called twice, outside their allowed hours, or after the
// cut-off, even when processes crash or several run at once.
//
// # Campaigns
//
// A [Campaign] is built with [NewCampaign], whose [Builder.Build] reports
// every broken rule at once as [*ValidationError] values joined with
// [errors.Join]; each names the field and matches [ErrInvalid]. A campaign
// has an audience, a control-group percent (0 to 90), an optional cap (at
// least [MinCap]), a start and a cut-off, a time zone, a mandatory
// do-not-disturb rule ([DND]) with a [Policy] for calls that fall inside
// it, and the call context the person called sees.
//
// A campaign is a draft until [Dispatcher.Publish] stores it with an
// [Acknowledgement]: who agreed, when, and the statement they agreed to.
// Calling hours are law in most regions and are read in the called
// person's own time zone; publishing without the acknowledgement returns
// [ErrNotAcknowledged]. After publishing, the definition cannot change
// ([ErrImmutable]); the campaign can be paused, resumed and stopped.
//
//	draft -> scheduled -> running <-> paused
//	scheduled, running, paused -> stopped      (Dispatcher.Stop)
//	running, paused -> completed               (every delivery final, or the cut-off)
//
// # Audience
//
// An audience is a [Predicate] tree: events done or not done ([Did],
// [DidNot]) with counts, windows and property filters; user properties
// ([Prop]); age ([AgeBetween]); gender; country, region and city; distance
// from one or more points ([WithinRadius]); reachability flags ([Flag]);
// a custom list ([InList]); and the combinators [All], [Any] and [Not].
// Predicates are evaluated against each profile at one instant, the
// campaign's start, in the campaign's time zone. Not(p) is the exact
// complement of p. [Preview] evaluates an audience without calling anyone
// and returns a [Reach].
//
// Of the qualified users, a control group is held out by a stable hash of
// (campaign ID, user ID) ([ControlBucket]); control users are recorded
// and never called. When more remain than the cap, those with the lowest
// [SampleRank] are called and the rest are recorded as capped.
//
// # Time
//
// DND is read in the recipient's local wall-clock time, in every zone a
// [Locator] places them in (see below), else the campaign's. A window may
// cross midnight, and its end is excluded. A call due inside DND is discarded ([PolicyDiscard], the
// default) or moved to the next open local time ([PolicyDefer]), which
// expires it if that is at or after the cut-off. No call starts before the
// start or at or after the cut-off. [LocalTime] turns a wall-clock time
// into an instant: a time skipped by DST moves forward by the gap, and a
// repeated time means its first occurrence.
//
// # Calling-hour law
//
// The marketer's DND protects the brand; a [RulePack] encodes the law of
// a region: the local hours a call may start on each weekday, the dates
// with no calls (a [HolidayCalendar]) and per-person [Limit] values. Packs
// are data, versioned, each with its source and the date it was checked;
// package rules ships packs for the United States and several states,
// Canada, India, Australia and France, and a host adds or overrides its
// own in a [RuleSet]. A campaign names the packs it applies
// (Builder.RulePacks) or takes each person's by country and subdivision
// (Builder.RulePacksByCountry). A call may start only when the campaign's
// DND and every pack that applies allow it, in every zone the person may
// be in: the stricter rule always wins. A call a pack refuses follows the
// campaign's [Policy], like DND.
//
// Where the person is comes from the dispatcher's [Locator], asked once
// per person when the campaign is planned: [ProfileLocator] by default
// (the profile's zone, country and region), or package locate, which adds
// the phone number's prefix (and with it the zones of a number that may
// be in several) and the profile's city or coordinates through package
// geo. Every delivery records which source decided ([ZoneSource]); an
// invalid number makes the person unreachable. [Dispatcher.Preview]
// shows which packs apply to how many targets, and how many no pack
// covers, in [Reach.Summary]; [ComplianceStatement] puts that summary in
// the statement the publisher acknowledges.
//
// # Limits and pacing
//
// Per-person limits (from packs, or Config.Limits across all campaigns),
// a campaign's pace (Builder.Pace, calls per window) and its cap on calls
// in progress (Builder.MaxConcurrent) are kept by the [Store] and checked
// in the same atomic step as the move to dialling, so two dispatchers or
// two campaigns cannot both use the last allowed call. Each dispatcher
// also paces itself with a token bucket (golang.org/x/time/rate) at the
// campaign's full rate and sizes its claims to it; the Store holds the
// limit across processes exactly, and a call it refuses for the pace or
// the cap goes back to the queue until they allow it. A call refused by
// a per-person limit follows the campaign's [Policy]: discarded, or
// deferred to the first instant the limit and the time rules allow.
// Config.MaxCallsPerMinute is a separate cap on one process.
//
// # Dispatch
//
// A [Dispatcher] materializes one [Delivery] per qualified user at the
// start (once, atomically), claims due deliveries with a lease, checks the
// cut-off and DND immediately before each dial, calls the [Caller] with
// bounded concurrency and records the outcome. [Dispatcher.Run] drives a
// campaign to completion on the configured clock; [Dispatcher.Tick] does
// one pass, for hosts that drive time themselves. A call whose outcome is
// unknown after a crash is never dialled again automatically: it is
// recorded as unknown unless the Caller implements [PlacementChecker] and
// confirms that no call was placed. Every delivery ends in exactly one of
// [FinalStatuses]; a [Report] counts them.
//
// Logs go to the configured *slog.Logger with phone numbers masked
// ([MaskPhone]); an [Observer] sees every delivery change.
//
// # Implementations
//
// Stores and callers live in subpackages: store/memstore keeps everything
// in memory, store/sqlitestore in one SQLite file, store/pgstore in
// PostgreSQL for several processes; store/storetest is the conformance
// suite every Store runs ([CheckNewDelivery] and [PublishedCopy] hold
// the checks they share). caller/simulated gives reproducible outcomes
// from a seed, caller/webhook POSTs signed requests to the host's call
// service, caller/sip places SIP INVITEs.
//
// # Retries and signatures
//
// A campaign's [RetryPolicy] (Builder.Retry) calls busy, missed and
// never-dialled results again, each attempt with its own idempotency key,
// never at or after the cut-off. With Config.SigningKey every
// [CallRequest] carries an Ed25519 signature over [CallRequest.SigningPayload]
// that the called app checks with [VerifyCallRequest].
//
// # JSON
//
// A campaign, the audience included, encodes as a versioned JSON object
// ([JSONVersion] 1):
//
//	{
//	  "version": 1,
//	  "id": "0193a0e0-3c00-7000-8000-00000000a11c",
//	  "name": "Abandoned browse",
//	  "audience": {"kind": "all", "of": [
//	    {"kind": "did", "event": "Product Viewed", "count": {"op": "at_least", "n": 1}, "last_days": 30},
//	    {"kind": "did_not", "event": "Charged", "count": {"op": "at_least", "n": 1}, "last_days": 30},
//	    {"kind": "radius", "km": 25, "points": [{"lat": 40.75, "lon": -73.98}]},
//	    {"kind": "reach", "flag": "has_phone"}
//	  ]},
//	  "control_percent": 10,
//	  "cap": 500,
//	  "schedule": {"start": "2026-12-05T17:00:00Z", "cut_off": "2026-12-06T00:00:00Z", "time_zone": "America/New_York"},
//	  "delivery": {"dnd": {"days": ["sunday"], "hours": [{"from": "21:00", "to": "09:00"}]}, "policy": "discard"},
//	  "call_context": "About the items you looked at this week",
//	  "state": "draft",
//	  "created_at": "2026-12-05T13:00:00Z",
//	  "updated_at": "2026-12-05T13:00:00Z"
//	}
//
// Predicate kinds and their fields: all and any {of: [...]}; not
// {predicate}; did and did_not {event, count {op: at_least|at_most|exactly,
// n}, last_days, from, to (dates YYYY-MM-DD), where: [{property, op,
// value}]}; property {property, op: eq|ne|gt|gte|lt|lte|in|contains|exists,
// value}; age {min, max}; gender {values}; country {values}; region and
// city {country, values}; radius {km, points: [{lat, lon}]}; reach {flag:
// has_phone|has_email|unsubscribed_email|unsubscribed_sms}; list {list,
// ids}. Unknown kinds, fields that do not belong to a kind, malformed
// values and other versions are errors.
//
// The delivery object may also hold "retry" (see [RetryPolicy]), "rules"
// {packs: [ids], by_country: bool}, "pace" {calls, per: a Go duration
// such as "1s"} and "max_concurrent"; all are optional.
package signedcall
