//! The cue table of the intent classifier: which words and phrases are evidence for which
//! intent, and how much (see [`super::intents`] for how evidence becomes an intent).

use super::Intent;
use Intent::*;

/// Where a cue must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum At {
    Anywhere,
    /// At the start of the message (after any punctuation), as whole words.
    Start,
}

/// When a cue counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Needs {
    Nothing,
    /// Only with a date: "how much" with dates asks what a stay costs.
    Dates,
    /// Only without a date: "how much" alone asks about prices in general.
    NoDates,
    /// Only when a hotel, a city or a room type is named: "I'd like a suite".
    Place,
}

use At::{Anywhere, Start};
use Needs::{Dates, NoDates, Nothing, Place};

/// The cues: intent, weight, where, when, and alternatives of a pattern on folded text (no
/// accents, no apostrophes: "i'd" is "id").
#[rustfmt::skip]
pub(super) const CUES: &[(Intent, f32, At, Needs, &[&str])] = &[
    // Reservations.
    (ReservationRequest, 3.0, Anywhere, Nothing, &[
        r"(?:want|wanna|like|need|love|looking|trying|wish|hoping|planning|possible)\s+to\s+(?:book|reserve|make\s+a\s+(?:reservation|booking)|stay)",
    ]),
    (ReservationRequest, 2.0, Anywhere, Nothing, &[
        r"book|reserve|make\s+a\s+(?:reservation|booking)",
        r"(?:need|want|looking\s+for|like|get)\s+(?:a|an|one|two|[0-9]+)\s+(?:\w+\s+)?(?:rooms?|suites?)",
    ]),
    (ReservationRequest, 2.0, Start, Nothing, &[
        r"(?:reserva|booking|reservation)\s+(?:para|for)\b",
    ]),
    (ReservationRequest, 2.0, Anywhere, Place, &[
        r"(?:would\s+like|id\s+like|want|need|looking\s+for|quiero|quisiera|queria|necesito|necesitamos|busco|buscamos|queremos|me\s+gustaria|nos\s+gustaria)",
    ]),
    (ReservationRequest, 3.0, Anywhere, Nothing, &[
        r"(?:quiero|quisiera|queria|me\s+gustaria|necesito|deseo|queremos|quisieramos|nos\s+gustaria|vamos\s+a)\s+(?:hacer\s+una\s+)?reserva(?:r)?",
    ]),
    (ReservationRequest, 2.5, Anywhere, Nothing, &[
        r"reservar|reservame|reservarme|reservarnos|reservadme|reservad|hacer\s+una\s+reserva",
        r"(?:quiero|quisiera|queria|queriamos|necesito|busco|buscamos|queremos|necesitamos|me\s+gustaria)\s+(?:una|un|dos|[0-9]+)?\s*habitaci\w*",
    ]),
    (ReservationRequest, 1.5, Anywhere, Nothing, &[
        r"alojamiento|alojarme|alojarnos|hospedarme|hospedarnos|quedarme|quedarnos|accommodation",
    ]),
    // Availability and what a stay costs.
    (AvailabilityCheck, 3.0, Anywhere, Nothing, &[
        r"availab\w*|disponib\w*|vacanc\w*",
    ]),
    (AvailabilityCheck, 2.5, Anywhere, Nothing, &[
        r"(?:do|does)\s+(?:you|the\s+hotel)\s+have\s+(?:any\s+|a\s+|an\s+)?(?:\w+\s+)?rooms?",
        r"(?:is|are)\s+there\s+(?:any\s+|a\s+)?(?:\w+\s+)?rooms?",
        r"theres\s+(?:any\s+|a\s+)?(?:\w+\s+)?rooms?|any\s+rooms?|rooms?\s+(?:free|left|open)",
        r"free\s+rooms?|fully\s+booked|sold\s+out|hay\s+(?:alguna\s+|una\s+)?habitaci\w*",
        r"(?:tienen|teneis|tiene|tendrian|tendriais|hay)\s+(?:\w+\s+){0,2}habitaci\w*",
        r"quedan?\s+(?:alguna\s+|habitaciones|sitio|plazas)|hay\s+(?:sitio|hueco|plazas?)",
        r"(?:tienen|teneis|hay|queda)\s+algo|(?:have|got)\s+anything|habitaci\w*\s+libres?",
        r"tienen\s+sitio|completo",
    ]),
    (AvailabilityCheck, 1.0, Anywhere, Nothing, &[
        r"libres?",
    ]),
    (AvailabilityCheck, 3.0, Anywhere, Dates, &[
        r"how\s+much|price|prices|cost|costs|rate|rates",
        r"cuanto\s+(?:cuesta|vale|sale|es|seria|costaria)|precio|precios|tarifa|tarifas",
    ]),
    // Changes.
    (ModificationRequest, 3.0, Anywhere, Nothing, &[
        r"reschedul\w*|modif\w*|postpone|aplazar|posponer|reprogramar",
        r"(?:change|move|switch|update|amend|alter|shift|extend|shorten)\s+(?:(?:my|our|the|this)\s+)?(?:booking|reservation|dates?|stay|check-?in|check-?out|arrival|room)",
        r"(?:cambiar|mover|ampliar|alargar|acortar|adelantar|retrasar)\s+(?:la|mi|las|el|nuestra)?\s*(?:reserva|fechas?|estancia|entrada|salida|llegada|habitacion)",
        r"(?:change|move)\s+it|cambiarla|cambiarlo|moverla|different\s+dates|other\s+dates",
        // "Move my grand plaza suite to dec 21-23", "mover mi suite del grand plaza".
        r"(?:change|move|shift|push|reschedule|extend|shorten)\s+(?:my|our)\s+(?:\w+\s+){1,3}(?:suite|room|stay|booking|reservation|trip)\b|(?:mover|cambiar|pasar)\s+(?:mi|nuestra)\s+(?:suite|habitacion|estancia|reserva)\s+(?:del|de|en)\b",
        r"otra\s+fecha|otras\s+fechas|add\s+(?:a|an|one|another)\s+(?:extra\s+)?night",
        r"una\s+noche\s+mas|(?:one|a)\s+more\s+night|extra\s+night|another\s+night",
        r"(?:pasar|correr|mover|cambiar)\s+(?:mi|la|nuestra|el)\s+(?:reserva|estancia|viaje)",
        r"cambiala|cambialo|muevela|muevelo|pasala|pasalo|correla|correlo|adelantala|adelantalo|atrasala|atrasalo|retrasala|retrasalo|aplazala|posponla",
        r"(?:la|lo)\s+(?:puedo|podemos|puedes|podes|podeis|pueden|podria|podrias|podrian)\s+(?:pasar|cambiar|mover|correr)|(?:puedo|podemos)\s+(?:pasarla|cambiarla|moverla|correrla)",
        r"(?:pasarla|correrla|moverla|pasarlo|correrlo)|push\s+(?:it|(?:my|our|the)\s+\w+)\s+back",
        r"(?:move|push|shift|bump|change)\s+(?:my|our|the)\s+(?:\w+\s+)?(?:stay|trip|booking|reservation|hotel|room)",
        r"cambiame|muevame|muevemela|pasame|cambiamela|cambiamelo",
        r"(?:cambiar|mover|pasar|correr)\s+(?:lo|la)\s+de\s+\w+",
        // "La de enero la quiero correr para el 21".
        r"(?:la|lo)\s+(?:quiero|quisiera|queremos|quisieramos|necesito|necesitamos)\s+(?:pasar|cambiar|mover|correr|adelantar|atrasar|retrasar)\b",
        r"(?:se\s+puede|podemos|puedo|podria|podrias|podriamos)\s+(?:pasar|mover|cambiar|correr)\s+(?:del?|al|para|a)\b",
        r"\b(?:me|nos)\s+(?:la|lo)\s+(?:pasa|pasas|pasan|cambia|cambias|cambian|mueve|mueves|mueven|corre|corres)\b",
        r"cut\s+(?:my|our|the|it)\s+(?:\w+\s+)?(?:trip|stay|visit|booking)?\s*short|(?:acortar|recortar)\s+(?:mi|la|nuestra|el)\s+(?:\w+\s+)?(?:viaje|estancia|reserva)",
    ]),
    // "Mejor en vez de cancelarla la muevo al 4", "move it instead of cancelling": the
    // cancellation named is the one not wanted.
    (ModificationRequest, 8.0, Anywhere, Nothing, &[
        r"(?:en\s+vez\s+de|en\s+lugar\s+de|instead\s+of|rather\s+than)\s+(?:cancel\w*|anular\w*)",
        r"(?:la|lo)\s+(?:muevo|cambio|paso|corro|movemos|cambiamos|pasamos|corremos)\s+(?:al|para|a)\b",
    ]),
    (ModificationRequest, 1.5, Anywhere, Nothing, &[
        r"change|cambiar|cambio|move|mover",
    ]),
    (ModificationRequest, 2.0, Anywhere, Nothing, &[
        r"instead|make\s+it|en\s+vez\s+de|en\s+lugar\s+de|mejor\s+que\s+sea",
    ]),
    // Cancellations. Not wanting a booking any more outweighs the booking words it contains.
    (CancellationRequest, 6.0, Anywhere, Nothing, &[
        r"(?:dont|do\s+not|no\s+longer)\s+(?:want|need)\s+(?:to\s+(?:book|stay)|the\s+(?:room|booking|reservation))",
        r"(?:dont|do\s+not|no\s+longer)\s+(?:want|need)\s+(?:my|our)\s+(?:room|booking|reservation)",
        r"(?:wont|will\s+not|no\s+longer)\s+(?:need|be\s+needing|be\s+using|use)\s+(?:the|my|our|that)\s+(?:room|booking|reservation)",
        r"ya\s+no\s+(?:vamos\s+a\s+necesitar|necesitaremos|nos\s+hace\s+falta|me\s+hace\s+falta)\s+(?:la|el|mi|nuestra)\s+(?:habitacion|reserva|cuarto)",
        r"ya\s+no\s+(?:quiero|queremos|necesito|necesitamos)\s+(?:reservar|la\s+reserva|la\s+habitacion)",
        r"ya\s+no\s+(?:viajamos|viajo|vamos|voy|podemos\s+ir|puedo\s+ir|vamos\s+a\s+(?:ir|poder\s+ir|poder\s+viajar))",
        r"no\s+(?:vamos|voy)\s+a\s+poder\s+(?:ir|viajar)|no\s+(?:viajamos|podremos\s+viajar)",
        r"(?:cant|cannot|can\s+not|wont\s+be\s+able\s+to)\s+(?:go|make\s+it|come|travel)\s+(?:anymore|any\s+more|after\s+all)",
        r"(?:we|i)\s+(?:cant|cannot|can\s+not)\s+(?:go|travel)|no\s+longer\s+(?:going|coming|travell?ing)|trip\s+(?:is|got)\s+(?:off|cancell?ed)",
    ]),
    (CancellationRequest, 3.0, Anywhere, Nothing, &[
        r"cancel\w*|anula\w*",
    ]),
    (CancellationRequest, 1.5, Anywhere, Nothing, &[
        r"(?:want|need|like|have|going)\s+to\s+cancel",
        r"(?:quiero|quisiera|necesito|tengo\s+que|me\s+gustaria|queremos|debo)\s+(?:cancelar|anular)",
        r"please\s+cancel|cancel\s+(?:my|our|the)|cancela(?:r)?\s+(?:mi|la|nuestra)",
    ]),
    (CancellationRequest, 2.5, Anywhere, Nothing, &[
        r"(?:cant|cannot|wont\s+be\s+able\s+to)\s+(?:come|make\s+it)",
        r"ya\s+no\s+(?:vamos|voy|podemos|puedo)|no\s+(?:podremos|podemos|puedo)\s+ir",
    ]),
    // "The conference got cut to 2 days so I only need my room tue to thu now".
    (ModificationRequest, 3.0, Anywhere, Nothing, &[
        r"(?:only|just)\s+need\s+(?:my|our|the)\s+(?:room|booking|reservation|stay)|got\s+(?:cut|shortened|moved|pushed|extended)\s+to\s+(?:[0-9]|the|a|one|two|three|four)\b",
        r"(?:solo|solamente)\s+(?:necesito|necesitamos)\s+(?:la|mi|nuestra)\s+(?:habitacion|reserva)",
    ]),
    // "Puedo llegar mañana?", "can we arrive a day later": an arrival moved.
    (ModificationRequest, 3.0, Anywhere, Nothing, &[
        r"(?:puedo|podemos|podria|podriamos|can\s+i|can\s+we|could\s+i|could\s+we)\s+(?:llegar|arrive|check\s*-?\s*in|come|get\s+there)\s+(?:manana|tomorrow|later|mas\s+tarde|un\s+dia\s+(?:despues|mas\s+tarde)|a\s+day\s+later)",
        r"(?:get|arrive|llegamos|llegaremos|llego|llegare)\s+(?:to\s+\w+(?:\s+\w+)?\s+)?(?:a\s+day|un\s+dia|two\s+days|dos\s+dias)\s+(?:later|despues|mas\s+tarde)",
    ]),
    // Existing bookings.
    (BookingLookup, 3.0, Anywhere, Nothing, &[
        r"(?:check|see|view|find|look\s+up|lookup|confirm|verify|retrieve|review|show\s+me|get)\s+(?:on\s+)?(?:my|our|the)\s+(?:booking|reservation|confirmation)",
        r"(?:booking|reservation)\s+(?:status|details|confirmation)|status\s+of\s+(?:my|our|the)",
        r"is\s+my\s+(?:booking|reservation)\s+(?:still\s+)?(?:confirmed|ok|valid|active|on)",
        r"(?:do|did)\s+(?:i|we)\s+have\s+a\s+(?:booking|reservation)",
        r"already\s+(?:have|got|booked)\s+(?:a\s+)?(?:room|booking|reservation)\b.*\b(?:check|look|confirm)",
        r"(?:consultar|ver|comprobar|revisar|confirmar|buscar|mirar|verificar)\s+(?:mi|la|nuestra)\s+reserva",
        r"estado\s+de\s+(?:mi|la)\s+reserva|(?:esta|sigue)\s+(?:confirmada|activa|en\s+pie)|(?:is\s+it|its)\s+still\s+on",
        r"tengo\s+(?:una\s+)?(?:reserva|booking|reservation|reservacion)|(?:detalles|datos|info|informacion)\s+de\s+(?:mi|la|nuestra)\s+reserva|localizador",
        r"(?:booking|reservation|confirmation)\s+(?:number|code|reference)|numero\s+de\s+reserva",
        r"(?:ref|reference|confirmation)\s+(?:number|no|code|#)|(?:cual|que)\s+(?:era|es)\s+mi\s+(?:numero|referencia|codigo|localizador)",
        r"(?:pull|bring)\s+up\s+(?:my|our|the)?|(?:pull|bring|look)\s+(?:it|that|them)\s+up|what\s+dates\s+(?:is|was|are)",
        // "Qué tengo para febrero?", "whats on my calendar with u guys", "i have a few
        // bookings at budget stay, which ones are they?", "we have a trip to miami booked,
        // can u check".
        r"(?:que|q)\s+tengo\s+(?:para|en|reservado|con\s+ustedes)|what(?:s|\s+is)\s+on\s+(?:my|our|the)\s+(?:calendar|schedule|books)",
        r"(?:have|got)\s+(?:a\s+few|some|several|two|three|multiple|[0-9])\s+(?:\w+\s+)?(?:bookings|reservations|rooms|stays|trips\s+booked)|tengo\s+(?:varias|dos|tres|unas|algunas)\s+reservas",
        r"(?:have|got)\s+(?:a\s+)?(?:trip|stay|room|booking|reservation)\s+(?:\w+\s+){0,3}(?:booked|reserved)",
        // "Lol I totally forgot what dates we booked at the lodge".
        r"(?:forgot|forget|dont\s+remember|cant\s+remember|olvide|no\s+me\s+acuerdo\s+de)\s+(?:what|which|when|que|cuando|las\s+fechas)|what\s+dates\s+(?:we|i)\s+(?:booked|reserved|have)",
        // "So what do I actually have then?"
        r"what\s+do\s+(?:i|we)\s+(?:actually\s+|really\s+)?have\s+(?:then|now|booked|reserved|with\s+you)",
        // "Whats my booking again", "what's my reservation for december".
        r"what(?:s|\s+is|\s+was)\s+(?:my|our)\s+(?:booking|reservation|ref\w*|confirmation|stay)",
        // "I have a room at the grand plaza in december, can you pull it up?"
        r"(?:i|we)\s+(?:have|got|booked)\s+a\s+(?:room|stay|suite|booking|reservation)\s+(?:at|in|with)\b",
        r"what\s+(?:dates|days|nights)\s+(?:did|have|do)\s+(?:i|we)",
        r"have\s+a\s+(?:booking|reservation)",
        r"(?:didnt|did\s+not|never)\s+(?:get|receive)\s+(?:a|the|my|any)\s+(?:confirmation|email)",
        r"no\s+(?:he\s+)?recibido",
        // "¿Me confirmas las fechas nuevas?" after a move.
        r"confirm\w*\s+(?:me\s+)?(?:las\s+|the\s+)?(?:fechas\s+nuevas|nuevas\s+fechas|new\s+dates)",
        r"what\s+(?:did\s+(?:i|we)|have\s+(?:i|we)|do\s+(?:i|we)\s+have)\s+(?:book|booked|reserved)|what\s+(?:i|we)\s+(?:booked|reserved)",
        r"(?:my|our)\s+(?:bookings|reservations)|(?:remind|tell)\s+me\s+(?:what|my)",
        r"(?:que|q)\s+(?:reservas?|tengo\s+reservado)|mis\s+reservas|nuestras\s+reservas|tengo\s+algo\s+reservado",
        r"que\s+(?:he|hemos|tengo|tenemos)\s+reservad\w*|what\s+(?:have|did)\s+(?:i|we)\s+(?:got\s+)?(?:booked|reserved)",
        r"(?:pasas|pasa|dame|muestrame|ensename|recuerdame)\s+(?:mis|mi|la|las)\s+reservas?",
        // "Entonces cuál tengo yo?", "which one do I have then", "what have I got".
        r"(?:cual|cuales)\s+(?:tengo\s+yo|tenemos\s+nosotros)|(?:entonces|pues)\s+(?:cual|cuales)\s+(?:tengo|tenemos)|(?:which|what)\s+(?:one\s+)?(?:do|did)\s+(?:i|we)\s+(?:have|book)\b|what\s+have\s+(?:i|we)\s+got\b",
        r"(?:which|what|how\s+many)\s+(?:bookings|reservations|stays)\s+(?:do|have|did)\s+(?:i|we)|(?:cuales|cuantas)\s+reservas\s+(?:tengo|tenemos)",
        r"when\s+(?:exactly\s+)?(?:is|was)\s+(?:my|our)\s+(?:\w+\s+)?(?:trip|stay|booking|reservation)|(?:cuando|que\s+dia)\s+(?:es|era)\s+(?:mi|nuestra|nuestro)\s+(?:\w+\s+)?(?:viaje|estancia|reserva)",
        r"remind\s+me\s+(?:of\s+)?(?:the|my|our)\s+(?:dates|booking|reservation|reference)|have\s+a\s+\w+\s+(?:booking|reservation)",
        r"^\W*(?:ref|reference|booking\s+number|confirmation\s+number|numero\s+de\s+reserva|localizador|codigo)\W*$",
    ]),
    (BookingLookup, 1.0, Anywhere, Nothing, &[
        r"my\s+(?:booking|reservation)|mi\s+reserva|nuestra\s+reserva",
    ]),
    // Questions about the hotel.
    (GeneralInquiry, 4.5, Anywhere, Nothing, &[
        r"cancel\w*\s+polic\w*|politica\s+de\s+cancelaci\w*|free\s+cancel\w*",
        r"cancel\w*\s+(?:for\s+)?free|cancelaci\w*\s+gratu\w*|cancelar\s+gratis",
    ]),
    (GeneralInquiry, 1.5, Anywhere, Nothing, &[
        r"included|includes?|inclusive|breakfast|parking|park|garage|wi-?fi|internet|pool|gym|spa",
        r"sauna|pets?|dogs?|cats?|airport|shuttle|transfer|restaurant|bar|minibar",
        r"air\s+conditioning|aircon|heating|towels?|hair\s*dryer|laundry|elevator|lift|accessible",
        r"wheelchair|cribs?|cots?|extra\s+bed|smoking|luggage|baggage|reception|check-?in\s+time",
        r"check-?out\s+time|what\s+time|late\s+check-?out|early\s+check-?in|check-?\s*in\s+early",
        r"check-?\s*out\s+late|polic(?:y|ies)|deposit|payment|pay|credit\s+cards?|cash|tax|taxes",
        r"address|location|located|where\s+(?:is|are)|how\s+(?:far|do\s+i\s+get|to\s+get)|nearby",
        r"beach|balcony|desayuno|aparcamiento|aparcar|garaje|piscina|gimnasio|mascotas?|perros?",
        r"gatos?|aeropuerto|traslado|restaurante|aire\s+acondicionado|calefaccion|toallas?|secador",
        r"lavanderia|ascensor|accesible|silla\s+de\s+ruedas|cuna|cama\s+supletoria|fumar|equipaje",
        r"maletas|recepcion|a\s+que\s+hora|hora\s+de\s+(?:entrada|salida|llegada|check)|politica",
        r"deposito|fianza|pago|pagar|tarjeta|efectivo|impuestos?|tasa\s+turistica|direccion",
        r"ubicacion|ubicado|donde\s+(?:esta|estan|queda)|como\s+(?:llego|llegar)|cerca|playa",
        r"balcon|incluid[oa]s?|incluye|admit\w*|acept\w*|lost\s+(?:my|our)|left\s+(?:my|our)",
        r"forgot\s+(?:my|our)|lost\s+and\s+found|he\s+perdido|perdi|olvide|me\s+deje|nos\s+dejamos",
        r"objetos\s+perdidos|se\s+puede|puedo\s+(?:llevar|traer|usar)|can\s+i\s+(?:bring|use)",
        r"do\s+you\s+(?:allow|accept|offer)",
    ]),
    (GeneralInquiry, 2.0, Anywhere, NoDates, &[
        r"how\s+much|price|prices|cost|costs|rate|rates",
        r"cuanto\s+(?:cuesta|vale|sale|es|seria|costaria)|precio|precios|tarifa|tarifas",
    ]),
    // Complaints.
    (Complaint, 3.0, Anywhere, Nothing, &[
        r"complain\w*|complaint|queja\w*|quejar\w*|reclamaci\w*|reclamar",
    ]),
    (Complaint, 2.5, Anywhere, Nothing, &[
        r"dirty|filthy|broken|not\s+working|doesnt\s+work|dont\s+work|isnt\s+working",
        r"arent\s+working|wasnt\s+working|stopped\s+working|noisy|too\s+loud|noise|rude|smell\w*",
        r"stinks?|cold\s+(?:water|shower|room)|no\s+hot\s+water|unacceptable|disappoint\w*|refund",
        r"overcharg\w*|charged\s+(?:me\s+|us\s+)?twice|double\s+charged",
        r"nobody\s+(?:came|answered|helped)|no\s+one\s+(?:came|answered|helped)|bed\s*bugs?",
        r"cockroach\w*|mold|mould|leak\w*|stain\w*|suci[oa]s?|rot[oa]s?|no\s+funciona\w*",
        r"estropead[oa]s?|averiad[oa]s?|ruido\w*|maleducad[oa]s?|groser[oa]s?|mal\s+olor",
        r"huele\s+mal|apesta|agua\s+fria|no\s+(?:hay|habia|tiene|tenia)\s+agua\s+caliente",
        r"inaceptable|decepci\w*|reembolso|devoluci\w*",
        r"me\s+(?:cobraron|habeis\s+cobrado|han\s+cobrado)|cobrado\s+de\s+mas",
        r"nadie\s+(?:vino|contesto|contesta|me\s+ayudo)|chinches|cucarachas?|moho|goteras?",
        r"manchas?",
    ]),
    (Complaint, 2.0, Anywhere, Nothing, &[
        r"terrible|awful|horrible|worst|disgusting|uncomfortable|incomod\w*|fatal|pesim[oa]",
        r"asqueros[oa]|lo\s+peor|desastre|not\s+happy|unhappy|no\s+estoy\s+content[oa]",
        r"no\s+estamos\s+contentos",
    ]),
    // Praise.
    (Compliment, 3.0, Anywhere, Nothing, &[
        r"(?:amazing|wonderful|fantastic|excellent|great|lovely|perfect|awesome|superb|outstanding|incredible|beautiful|brilliant|fabulous|nice)\s+(?:stay|service|hotel|staff|room|rooms|experience|time|breakfast|view|views|place|location|team|weekend|holiday|vacation|hospitality)",
        r"(?:stay|service|hotel|staff|room|experience|breakfast|view|place|location|team|everything|everyone)\s+(?:was|were|is|are|has\s+been|have\s+been)\s+(?:so\s+|very\s+|really\s+|absolutely\s+|just\s+|incredibly\s+|extremely\s+|super\s+|truly\s+)?(?:amazing|wonderful|fantastic|excellent|great|lovely|perfect|awesome|superb|outstanding|incredible|beautiful|brilliant|fabulous|spotless|very\s+good|so\s+good|nice|clean|friendly|helpful|kind)",
        r"(?:we|i)\s+(?:really\s+)?(?:loved|enjoyed)|well\s+done",
        r"(?:would|will|highly|definitely)\s+recommend|five\s+stars|5\s+stars|best\s+hotel",
        r"keep\s+up|thank\s+you\s+for\s+(?:a|the|an|such\s+a|your\s+hospitality|everything)",
        r"thanks\s+for\s+(?:a|the|an|such\s+a|your\s+hospitality|everything)",
        r"(?:nos|me)\s+(?:ha\s+)?encant\w*|(?:nos|me)\s+gusto\s+mucho|enhorabuena|felicidades",
        r"felicit\w*|lo\s+recomiendo|os\s+recomiendo|recomendare\w*|recomendaremos",
        r"(?:estancia|servicio|hotel|personal|habitacion|experiencia|trato|desayuno|equipo|todo|vistas)\s+(?:fue|ha\s+sido|era|estuvo|es|estaba)\s+(?:muy\s+|super\s+|realmente\s+)?(?:genial|maravillos[oa]|excelente|estupend[oa]|perfect[oa]|increible|fantastic[oa]|buenisim[oa]|precios[oa]|impecable|limpi[oa]|agradable|bonit[oa]|espectacular)",
        r"(?:muy|super|tan)\s+(?:amables?|atent[oa]s?|limpi[oa]|agradable)",
        r"(?:excelente|genial|maravillos[oa]|fantastic[oa]|estupend[oa]|increible|impecable|espectacular)\s+(?:estancia|servicio|hotel|personal|habitacion|experiencia|trato|desayuno|equipo)",
    ]),
    (Compliment, 2.0, Anywhere, Nothing, &[
        r"gracias\s+por\s+(?:todo|la\s+estancia|el\s+trato|vuestra|su\s+hospitalidad)",
    ]),
    (Compliment, 1.0, Anywhere, Nothing, &[
        r"amazing|wonderful|fantastic|excellent|awesome|superb|outstanding|incredible|brilliant",
        r"fabulous|loved|genial|excelente|maravillos[oa]|fantastic[oa]|estupend[oa]|increible",
        r"impecable|espectacular",
    ]),
    // Openings and closings.
    (Greeting, 1.5, Start, Nothing, &[
        r"hi|hello|hey|hiya|good\s+(?:morning|afternoon|evening)|greetings|howdy",
        r"hola|buenas|buenos\s+dias|buenas\s+tardes|buenas\s+noches|saludos|que\s+tal",
    ]),
    (Greeting, 1.0, Anywhere, Nothing, &[
        r"how\s+are\s+you|como\s+estas|como\s+esta\s+usted",
    ]),
    (Goodbye, 2.5, Anywhere, Nothing, &[
        r"bye|goodbye|good\s*-?\s*bye|see\s+you|see\s+ya|good\s+night",
        r"have\s+a\s+(?:nice|good|great|lovely)\s+(?:day|night|evening|one|weekend)|thats\s+all",
        r"that\s+is\s+all|thats\s+it|nothing\s+else|adios",
        r"hasta\s+(?:luego|pronto|manana|la\s+vista|otra)|chao|chau|nos\s+vemos|eso\s+es\s+todo",
        r"nada\s+mas|thanks?\s+(?:you\s+)?for\s+(?:your|the)\s+help",
        r"gracias\s+por\s+(?:tu|su|vuestra)\s+ayuda|que\s+tengas?\s+un\s+buen\s+dia",
    ]),
    (Goodbye, 1.0, Anywhere, Nothing, &[
        r"thanks|thank\s+you|thx|cheers|gracias|muchas\s+gracias|mil\s+gracias",
    ]),
    (Affirm, 2.0, Start, Nothing, &[
        r"yes|yeah|yep|yup|yes\s+please|sure|ok|okay|okey|of\s+course|correct|right|exactly",
        r"thats\s+right|that\s+is\s+right|absolutely|definitely|sounds\s+(?:good|great)",
        r"go\s+ahead|please\s+do|do\s+it|book\s+it|confirm|confirmed|perfect|great|fine",
        r"alright|all\s+right|si|claro|vale|de\s+acuerdo|perfecto|correcto|exacto|adelante",
        r"confirmo|confirmado|por\s+supuesto|venga|dale|genial|eso\s+es|esta\s+bien",
        r"me\s+parece\s+bien|me\s+vale|hecho",
    ]),
    (Affirm, 2.0, Anywhere, Nothing, &[
        r"(?:that|thatd|that\s+would|it\s+would)\s+be\s+(?:great|perfect|fine|good|lovely|wonderful)",
    ]),
    (Affirm, 1.5, Anywhere, Nothing, &[
        r"sounds\s+good|go\s+ahead|please\s+do|book\s+it|confirm\s+it|me\s+parece\s+bien|adelante",
        r"reservalo|reservala|confirmalo|lo\s+confirmo|that\s+works|works\s+for\s+me",
        r"me\s+va\s+bien|me\s+viene\s+bien",
    ]),
    (Deny, 2.0, Start, Nothing, &[
        // A bare "no" (so "No funciona el aire" is no answer), or one that goes on as an answer.
        r"no\s*(?:[,.!;]|$)",
        r"no\s+(?:thanks|thank\s+you|gracias|i\s+dont|i\s+do\s+not|it\s+isnt|its\s+not|thats)",
        r"no\s+(?:that\s+is|es\s+correcto|es\s+eso|no\s+es|way|need|hace\s+falta)",
        r"nope|nah|not\s+really|negative|incorrect|thats\s+wrong|that\s+is\s+wrong|wrong",
        r"not\s+quite|not\s+right|never\s+mind|nevermind|para\s+nada|en\s+absoluto|tampoco",
        r"de\s+ninguna\s+manera|mejor\s+no|incorrecto|olvidalo|forget\s+it|ni\s+hablar",
    ]),
    (Deny, 1.5, Anywhere, Nothing, &[
        r"no\s+thanks|no\s+thank\s+you|no\s+gracias",
        r"(?:thats|that\s+is|its)\s+(?:not\s+(?:right|correct)|wrong|incorrect)",
        r"(?:eso\s+)?no\s+es\s+(?:correcto|asi)|not\s+interested|no\s+me\s+interesa|never\s+mind",
        r"forget\s+it|olvidalo",
    ]),
    // "Don't cancel" outweighs the word "cancel" it contains.
    (Deny, 6.0, Anywhere, Nothing, &[
        r"(?:dont|do\s+not)\s+cancel\w*|no\s+(?:lo\s+|la\s+)?(?:canceles|cancele|cancelen|anules|anule|anulen)",
    ]),
    // People.
    (HumanHandoff, 4.0, Anywhere, Nothing, &[
        r"(?:speak|talk|chat)\s+(?:to|with)\s+(?:a\s+real\s+|an\s+actual\s+|a\s+|an\s+|the\s+|some\s+|your\s+|real\s+)?(?:human|person|agent|manager|representative|receptionist|operator|staff|someone|somebody|employee|supervisor)",
        r"real\s+person|human\s+(?:agent|being)|live\s+agent|customer\s+(?:service|support)",
        r"transfer\s+me|call\s+me",
        r"(?:hablar|charlar)\s+con\s+(?:una\s+persona|alguien|un\s+humano|un\s+agente|el\s+encargado|la\s+encargada|el\s+gerente|el\s+director|recepcion|un\s+operador|una\s+operadora|un\s+empleado|atencion\s+al\s+cliente|un\s+responsable|el\s+responsable)",
        r"persona\s+real|(?:pasame|paseme|pasadme|ponme|pongame)\s+con|atencion\s+al\s+cliente",
        r"llamadme|llamame|me\s+pueden\s+llamar|que\s+me\s+llame",
    ]),
    (HumanHandoff, 2.0, Anywhere, Nothing, &[
        r"human|humano|operator|operador|agent|agente|not\s+a\s+(?:bot|robot|machine)",
        r"are\s+you\s+a\s+(?:bot|robot)|eres\s+un\s+(?:bot|robot)",
    ]),
];
