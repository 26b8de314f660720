"""Function-word, phrase and common content-word rewrites that cheap article spinners share.

Written for unspin from general knowledge of how such tools rewrite text. Each line reads
`[pos] original: spun, spun, ...` in the spinner's (forward) direction; the builder stores the
reverse (spun -> original) with the BUILTIN source flag. A pos tag (n, v, a, r) means both sides
are lemmas to inflect alike ("use: make use of" also covers "used" -> "made use of"); lines without
one are fixed strings. `iter_builtin` yields the pairs in listing order.
"""

from __future__ import annotations

from collections.abc import Iterator

_TABLE = """
# connectives and discourse markers
in order to: so as to, with a view to, to be able to, in an effort to
so as to: in order to
however: nonetheless, nevertheless, but, though, even so, on the other hand, then again, still
but: however, nonetheless, yet, though, but rather
because: since, as a result of, due to the fact that, as, for the reason that
because: considering that, simply because
because of: due to, as a result of, owing to, on account of, thanks to, because of the fact that
since: because, considering that, as, given that
although: though, even though, whilst, while, despite the fact that, albeit
though: although, even though, however
while: whilst, even though, though, though at the same time, even as
also: additionally, furthermore, moreover, likewise, too, as well, besides, in addition
too: also, as well, additionally
as well: also, too, additionally, at the same time
as well as: and also, along with, together with, in addition to, and
in addition: additionally, furthermore, moreover, on top of that, besides
furthermore: moreover, in addition, additionally, what's more, besides
moreover: furthermore, in addition, additionally, what's more
therefore: consequently, thus, hence, as a result, so, for that reason, accordingly
so: therefore, thus, consequently, hence, as a result, which means
thus: therefore, hence, consequently, so, as a result
for example: for instance, as an example, as an illustration, by way of example, e.g.
for instance: for example, as an example, by way of example
such as: like, including, for example, for instance, similar to
like: such as, similar to, just like, much like
including: such as, together with, along with, which includes
especially: particularly, specifically, in particular, notably, specially, above all
particularly: especially, specifically, notably, in particular
in particular: particularly, especially, specifically
instead: rather, alternatively, as an alternative, in its place
instead of: rather than, in place of, as opposed to, in lieu of
rather than: instead of, as opposed to, in place of
despite: in spite of, regardless of, notwithstanding, even with
in spite of: despite, regardless of, notwithstanding
during: throughout, in the course of, all through, over
after: following, right after, soon after, subsequent to, once
before: prior to, ahead of, earlier than, previous to, in advance of
until: till, up until, up to, right up until
about: roughly, approximately, around, regarding, concerning, relating to
about: with regards to, more or less, close to
around: about, roughly, approximately, close to, all around
approximately: about, roughly, around, more or less
regarding: concerning, about, relating to, with regard to, in regards to
according to: in accordance with, as outlined by, based on, as stated by, in line with, as per
through: by means of, via, by way of, throughout
via: through, by way of, by means of
within: inside, in, inside of, in just
without: with out, devoid of, minus, lacking
among: amongst, amid, between
between: amongst, among, in between
against: towards, versus, in opposition to, in opposition to
toward: towards, in direction of, in the direction of
towards: toward, in direction of, in the direction of
near: close to, near to, nearby, in the vicinity of
next to: beside, alongside, adjacent to
almost: nearly, practically, virtually, just about, close to
nearly: almost, practically, virtually, close to
often: frequently, usually, regularly, typically, commonly, generally
usually: generally, normally, typically, commonly, often, ordinarily
sometimes: at times, often, occasionally, generally, every so often
always: all the time, constantly, at all times, usually, continually
never: by no means, in no way, not ever
now: nowadays, currently, presently, today, right now, at present
currently: presently, now, at present, at the moment, these days
recently: lately, just lately, not too long ago, currently, newly
already: previously, by now, currently, presently, at this point
still: nonetheless, nevertheless, even so, yet, nonetheless
yet: nonetheless, however, still, however
even: also, still, yet, actually
only: solely, simply, just, merely, only just, exclusively
just: simply, merely, only, solely, precisely
very: extremely, really, highly, quite, very much, incredibly, terribly, truly
really: actually, genuinely, truly, definitely, really
quite: fairly, rather, pretty, reasonably, somewhat
much: a lot, significantly, considerably, considerably more
many: quite a few, numerous, a lot of, lots of, several, plenty of, many different
a lot of: plenty of, lots of, quite a lot of, a great deal of, loads of, a whole lot of
lots of: a lot of, plenty of, loads of, quite a few
several: a number of, numerous, various, many, quite a few
some: a few, several, certain, some of the
few: couple of, handful of, small number of
most: the majority of, nearly all, most of the, many
all: all of the, each of the, every
each: every, every single, each and every
every: each, each and every, every single
other: different, additional, further
another: one other, yet another, an additional
more: extra, additional, further, much more
less: much less, fewer, a lot less
enough: sufficient, adequate, ample
again: once more, once again, another time
first: initial, very first, first of all, to begin with
finally: lastly, eventually, ultimately, in the end, at last
eventually: finally, ultimately, in the end, sooner or later
later: afterwards, afterward, subsequently, down the road
then: subsequently, next, after that, afterwards
if: in case, whether, provided that, when
whether: if, regardless of whether
when: whenever, once, as soon as, at the time
where: wherever, the place, in which
unless: except if, until, except
perhaps: maybe, possibly, probably, perchance
maybe: perhaps, possibly, might be
probably: most likely, possibly, in all probability, likely
of course: naturally, obviously, certainly, needless to say
indeed: in fact, actually, certainly
in fact: actually, as a matter of fact, in reality, indeed
actually: really, in fact, truly, basically
overall: general, total, on the whole, all in all
in general: generally, typically, normally, usually
generally: usually, typically, normally, commonly, in general
mainly: mostly, primarily, largely, principally, chiefly, predominantly
mostly: mainly, largely, primarily, principally
largely: mostly, mainly, principally, to a great extent
only if: provided that, on condition that
so that: in order that, so, in order for
such: such a, this kind of, these types of
important: essential, crucial, vital, critical, significant, necessary
quickly: rapidly, swiftly, fast, speedily, promptly
slowly: gradually, steadily, step by step
easily: effortlessly, simply, readily, very easily
soon: shortly, quickly, quickly, before long
together: collectively, jointly, in concert
however much: no matter how much
at the same time: concurrently, simultaneously, at once
at least: a minimum of, not less than, at the very least
as soon as: when, once, the moment
as long as: provided that, so long as
in the end: ultimately, eventually, finally
each other: one another
the same: identical, equal, similar
a few: some, several, a couple of, a handful of
a little: slightly, somewhat, a bit
a bit: a little, somewhat, slightly

# verbs (inflected alike)
v use: make use of, utilize, utilise, employ, apply, take advantage of
v utilize: use, make use of, employ
v say: state, mention, claim, declare, tell, point out, remark
v tell: inform, notify, explain to, let know, say to
v ask: inquire, question, request, query
v get: obtain, acquire, receive, gain, get hold of, attain
v help: assist, support, aid, help out, be of assistance
v show: present, display, demonstrate, reveal, indicate, exhibit
v start: commence, begin, initiate, get started, kick off, launch
v begin: start, commence, get started, initiate
v end: finish, conclude, terminate, wrap up
v finish: complete, end, conclude
v make: create, produce, generate, build, construct, render
v give: provide, offer, supply, present, hand over
v provide: offer, supply, give, present, deliver
v find: discover, locate, uncover, come across, identify
v try: attempt, seek, endeavor, endeavour, make an effort
v need: require, want, demand, must have
v want: desire, wish, need, would like
v buy: purchase, acquire, pay for, get
v sell: market, offer for sale, trade, vend
v think: believe, consider, feel, suppose, reckon, imagine
v believe: think, consider, feel, trust
v know: understand, realize, realise, recognize, be aware
v see: observe, notice, view, witness, spot, watch
v look: appear, seem, glance, search
v seem: appear, look, look like
v keep: maintain, retain, preserve, hold on to
v take: consume, acquire, seize, grab, take on
v put: place, set, position, lay
v go: travel, move, proceed, head, go to
v come: arrive, approach, show up, turn up
v leave: depart, exit, abandon, go away from
v stay: remain, keep, continue
v change: alter, modify, transform, shift, adjust
v improve: enhance, boost, better, increase, upgrade
v increase: boost, raise, enhance, improve, grow, rise
v reduce: decrease, lower, cut, minimize, lessen
v cut: reduce, lower, slash, trim, minimize
v allow: permit, let, enable, authorize
v let: allow, permit, enable
v stop: cease, halt, end, quit, discontinue
v continue: proceed, carry on, keep on, go on, persist
v choose: select, pick, opt for, decide on
v decide: determine, resolve, choose, make a decision
v explain: describe, clarify, clarify, illustrate, detail
v describe: explain, illustrate, portray, outline
v discuss: talk about, go over, examine, debate
v create: produce, generate, make, develop, establish
v build: construct, create, develop, make
v run: operate, manage, function, work, manage to
v work: function, operate, perform, labor, labour
v call: name, label, phone, contact, refer to as
v meet: satisfy, encounter, fulfill, fulfil, come across
v include: consist of, contain, comprise, incorporate
v contain: include, hold, comprise, consist of
v involve: entail, include, require, contain
v become: turn into, turn out to be, grow to be, come to be
v happen: occur, take place, transpire, come about
v occur: happen, take place, arise
v live: reside, dwell, stay
v die: pass away, perish, expire, lose life
v kill: murder, slay, eliminate, destroy
v win: earn, gain, secure, triumph, achieve
v lose: shed, misplace, drop, forfeit
v pay: spend, compensate, settle
v spend: invest, expend, devote, pay
v receive: get, obtain, acquire, collect
v send: deliver, transmit, mail, dispatch
v bring: convey, carry, deliver, take
v hold: maintain, keep, grasp, carry
v move: transfer, shift, relocate, transport
v play: perform, participate in, engage in, enjoy
v read: examine, study, review, peruse
v write: compose, pen, create, produce
v add: include, incorporate, put in, append
v remove: eliminate, take away, get rid of, delete
v fight: combat, battle, struggle, wrestle
v shoot: capture, take pictures, photograph, fire
v film: shoot, record, capture
v plan: intend, strategy, arrange, program
v expect: anticipate, count on, assume, predict
v require: need, demand, call for, necessitate
v support: assist, back, help, aid, sustain
v protect: defend, safeguard, shield, guard
v prevent: stop, avoid, avert, preclude
v avoid: steer clear of, keep away from, prevent, avert
v develop: create, build up, produce, generate, establish
v produce: create, generate, manufacture, make, yield
v offer: provide, supply, give, present
v report: document, record, state, announce, file
v announce: declare, state, proclaim, report
v claim: declare, assert, state, say
v suggest: propose, recommend, indicate, advise
v agree: concur, consent, accept
v raise: elevate, increase, boost, lift
v rise: increase, climb, go up, mount
v fall: drop, decline, decrease, tumble
v drop: fall, decline, decrease, lower
v grow: develop, increase, expand, mature
v face: confront, encounter, deal with, cope with
v return: come back, go back, revert, give back
v reach: attain, achieve, get to, arrive at
v join: be a part of, connect, unite, sign up for
v lead: direct, guide, head, result in
v open: unlock, uncover, launch, open up
v close: shut, shut down, close down
v watch: observe, view, look at, monitor
v check: verify, examine, inspect, test
v fix: repair, mend, resolve, correct
v worry: be concerned, fret, be anxious
v hope: wish, trust, expect
v like: enjoy, appreciate, love, prefer
v love: adore, enjoy, like, cherish
v feel: really feel, experience, sense
v mean: imply, indicate, signify
v learn: discover, study, find out, grasp
v consider: think about, take into account, contemplate, regard
v deal with: handle, cope with, manage, address
v find out: discover, learn, uncover, determine
v set up: establish, arrange, install, create
v carry out: perform, conduct, execute, implement
v look for: search for, seek, hunt for, look out for
v point out: note, mention, indicate, highlight
v take place: happen, occur, transpire
v arrest: detain, apprehend, capture
v charge: cost, fee, accuse, bill
v release: launch, discharge, free, liberate
v attack: assault, strike, raid, assail
v investigate: examine, probe, study, look into
v accuse: charge, blame, allege
v warn: caution, alert, advise
v ban: prohibit, bar, outlaw, forbid
v confirm: verify, validate, affirm, corroborate
v injure: harm, wound, hurt, damage

# nouns (plural alike)
n house: home, residence, dwelling, household, property
n home: house, residence, dwelling, household
n court: courtroom, courtroom docket, tribunal, courthouse
n market: marketplace, industry, trade, sector
n middle: center, centre, midst, heart
n center: middle, centre, heart, hub
n stock: inventory, inventory, stockpile, supply, share
n shooting: capturing, taking pictures, filming, firing
n people: individuals, persons, folks, men and women, population
n person: individual, someone, human being, particular person
n man: gentleman, guy, male, person
n woman: lady, female, girl
n child: kid, youngster, little one, youngster
n children: kids, youngsters, little ones
n company: business, firm, corporation, organization, enterprise
n business: company, enterprise, organization, industry
n government: authorities, administration, state, federal government
n police: law enforcement, cops, authorities
n officer: official, cop, policeman
n official: officer, authorized, formal
n country: nation, state, region, land
n world: globe, planet, earth, entire world
n city: metropolis, town, municipality
n area: region, space, location, place, zone
n place: location, spot, site, area, position
n way: method, approach, means, manner, strategy
n problem: issue, difficulty, trouble, challenge
n issue: problem, concern, matter, subject
n question: query, issue, problem, concern
n idea: concept, notion, thought, plan
n result: outcome, consequence, end result, effect
n effect: impact, consequence, result, influence
n reason: cause, motive, purpose, explanation
n part: portion, component, section, element, piece
n group: team, band, collection, cluster, crew
n team: group, crew, squad, staff
n member: associate, participant, fellow
n job: position, occupation, employment, work, career
n work: job, employment, task, labor, function
n money: cash, funds, capital, finances
n price: cost, value, charge, rate
n cost: price, expense, charge, value
n car: vehicle, automobile, auto
n water: h2o, liquid
n food: meals, nourishment, diet, meals
n health: well being, wellness, fitness
n doctor: physician, medical doctor, medical professional
n study: research, examine, analysis, survey
n research: study, analysis, investigation, exploration
n information: data, details, facts, knowledge
n data: information, facts, figures, statistics
n number: amount, quantity, figure, variety
n amount: quantity, volume, sum, number
n level: degree, stage, amount, diploma
n time: period, occasion, moment, era
n year: 12 months, calendar year, yr
n month: calendar month, thirty days
n week: seven days, 7 days
n day: working day, date, time
n season: period, time, year
n election: poll, vote, ballot, political election
n president: leader, chief, head, chairman
n minister: secretary, official, pastor
n leader: chief, head, boss, director
n party: celebration, get together, occasion, bash
n war: battle, conflict, warfare, combat
n attack: assault, strike, raid, offensive
n death: demise, passing, loss of life, dying
n life: existence, lifestyle, living, lifetime
n family: household, relatives, kin, loved ones
n friend: pal, buddy, companion, mate
n school: college, academy, institution, faculty
n student: pupil, learner, scholar
n teacher: instructor, educator, tutor, trainer
n game: match, contest, sport, recreation
n player: participant, gamer, athlete, competitor
n film: movie, motion picture, picture, flick
n movie: film, motion picture, flick
n picture: image, photo, photograph, snapshot
n photo: photograph, picture, image, snapshot
n story: tale, narrative, report, account
n news: information, reports, media
n report: record, statement, account, document
n statement: declaration, assertion, comment, assertion
n law: legislation, regulation, rule, statute
n rule: regulation, guideline, law, principle
n right: proper, correct, appropriate
n power: energy, strength, electricity, authority
n energy: power, vitality, vigor, vitality
n street: road, avenue, lane, highway
n road: street, highway, path, route
n town: city, village, community, township
n building: structure, constructing, edifice, construction
n room: space, area, chamber, house
n door: doorway, entrance, gate, door way
n office: workplace, business office, department, bureau
n hospital: clinic, medical center, infirmary
n church: chapel, cathedral, temple
n plan: strategy, scheme, program, blueprint
n program: programme, plan, scheme, system
n system: method, approach, technique, process
n process: method, procedure, system, approach
n service: support, assistance, help, provider
n product: item, merchandise, goods, commodity
n industry: sector, business, market, trade
n economy: financial system, market, financial system
n bank: financial institution, lender
n share: stake, portion, part
n interest: curiosity, attention, passion, desire
n role: function, part, position
n event: occasion, occurrence, function, incident
n trial: test, experiment, case, hearing
n case: situation, circumstance, matter, instance
n fact: reality, truth, actuality
n word: phrase, term, expression, statement
n phrase: expression, term, saying
n power station: power plant
n white house: white home, white residence
n prime minister: top minister, prime minister
n human rights: human legal rights, human privileges
n stock market: stock exchange, inventory market, securities market
n middle east: center east, middle eastern, mid east
n united states: united states of america, us, usa
n press conference: news conference, press briefing
n interest rate: interest price, rate of interest
n climate change: local climate change, weather change
n social media: social networking, social networks
n mobile phone: cell phone, cellphone, mobile telephone
n film industry: movie industry
n north korea: northern korea
n south africa: southern africa
n foreign secretary: overseas secretary
n chief executive: chief govt, ceo, main executive

# adjectives and adverbs
a big: large, huge, massive, giant, enormous, substantial
a large: big, huge, massive, substantial, sizable
a small: little, tiny, minor, modest, compact
a little: small, tiny, minor
a good: great, excellent, fine, nice, superior
a great: excellent, wonderful, fantastic, good, terrific, superb
a bad: poor, negative, awful, terrible, unhealthy
a new: brand new, fresh, novel, latest
a old: outdated, aged, previous, former, ancient
a former: previous, past, ex, earlier
a high: higher, excessive, elevated, substantial
a low: reduced, minimal, small, decreased
a long: lengthy, extended, prolonged
a short: brief, quick, temporary
a easy: simple, effortless, uncomplicated, straightforward
a hard: difficult, tough, challenging
a difficult: challenging, tough, hard, tricky
a simple: easy, basic, straightforward, uncomplicated
a different: various, distinct, diverse, unique
a same: identical, similar, equivalent
a similar: comparable, related, identical, equivalent
a main: primary, principal, chief, key, major
a major: main, key, significant, big, important
a key: essential, crucial, vital, important
a important: essential, crucial, vital, critical, significant, necessary
a necessary: required, essential, needed, vital
a possible: achievable, feasible, attainable, potential
a likely: probable, possible, prone
a able: capable, in a position, ready
a available: offered, accessible, obtainable, out there
a free: totally free, complimentary, no cost, cost-free
a full: complete, total, entire, whole
a whole: entire, complete, total, full
a early: earlier, premature, initial
a late: delayed, overdue, latter
a recent: latest, current, new
a current: present, existing, modern, latest
a public: general public, community, open
a local: regional, community, nearby, neighborhood
a national: countrywide, nationwide, domestic
a international: worldwide, global, foreign
a global: worldwide, international, world-wide
a strong: powerful, solid, sturdy, robust
a real: actual, genuine, true, authentic
a true: real, accurate, correct, genuine
a clear: obvious, apparent, evident, distinct
a sure: certain, confident, positive
a happy: pleased, content, glad, joyful
a sad: unhappy, sorrowful, depressed
a young: youthful, younger, junior
a poor: bad, inadequate, inferior, weak
a rich: wealthy, affluent, prosperous
a serious: significant, severe, critical, grave
a special: unique, particular, specific, distinctive
a common: typical, usual, widespread, frequent
a popular: well-known, well-liked, common, trendy
a famous: well-known, renowned, celebrated, noted
a beautiful: gorgeous, lovely, stunning, attractive
a huge: enormous, massive, big, large, giant
a fast: quick, rapid, speedy, swift
a quick: fast, rapid, speedy, swift
a final: last, closing, ultimate, remaining
a last: final, previous, past, latest
a next: subsequent, following, upcoming, coming
a top: best, leading, prime, premier
a best: finest, greatest, top, very best
r quickly: rapidly, swiftly, fast, speedily, promptly
r really: actually, truly, genuinely, definitely
r also: additionally, furthermore, moreover
r however: nonetheless, nevertheless, but
r recently: lately, newly, not too long ago
r currently: presently, at present, now
r completely: totally, entirely, fully, utterly
r especially: particularly, specifically, notably
r probably: most likely, possibly, likely
r simply: just, merely, only, basically
r clearly: obviously, evidently, plainly
r finally: lastly, eventually, ultimately
r directly: straight, immediately, right
r immediately: instantly, right away, at once, promptly
"""


def iter_builtin() -> Iterator[tuple[str, str, str]]:
    """Yield (original, spun, pos) forward rewrites in listing order; pos "" means a fixed string."""
    for line in _TABLE.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        left, _, right = line.partition(":")
        pos, original = (
            (left[0], left[2:].strip()) if left[:2] in ("v ", "n ", "a ", "r ") else ("", left.strip())
        )
        seen = {original}
        for spun in right.split(","):
            spun = " ".join(spun.split())
            if spun and spun not in seen:
                seen.add(spun)
                yield original, spun, pos
