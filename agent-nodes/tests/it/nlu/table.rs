//! The spec of the offline NLU as a table: each phrasing with its intent, language and every
//! entity it names (entities compare in full, so an entity found by mistake fails too).
//! Today is Sunday 2026-11-22.

use agent_nodes::nlu::{Entities, Intent, Intent::*, Language, Language::*};

use super::{date, nlu, today};

/// One expected entity.
#[derive(Debug, Clone, Copy)]
enum Slot {
    In(&'static str),
    Out(&'static str),
    Nights(u32),
    Adults(u32),
    Children(u32),
    Room(&'static str),
    Hotel(&'static str),
    City(&'static str),
    Ref(&'static str),
    Email(&'static str),
    Name(&'static str),
}

use Slot::*;

type Row = (&'static str, Intent, Language, &'static [Slot]);

#[rustfmt::skip]
const TABLE: &[Row] = &[
    // Reservations.
    ("I'd like to book a double room at Hotel Sol from December 3 to December 6 for 2 adults", ReservationRequest, En, &[In("2026-12-03"), Out("2026-12-06"), Adults(2), Room("double"), Hotel("sol")]),
    ("Book me a suite in Madrid for 3 nights from the 3rd", ReservationRequest, En, &[Room("suite"), City("Madrid"), Nights(3), In("2026-12-03"), Out("2026-12-06")]),
    ("Hi, I want to reserve a room for four, 3 to 6 December", ReservationRequest, En, &[Adults(4), In("2026-12-03"), Out("2026-12-06")]),
    ("We need a family room for 2 adults and 2 kids next Friday for two nights", ReservationRequest, En, &[Room("family"), Adults(2), Children(2), In("2026-11-27"), Nights(2), Out("2026-11-29")]),
    ("Can I book Hotel Mar for this weekend? We are 3", ReservationRequest, En, &[Hotel("mar"), In("2026-11-27"), Out("2026-11-29"), Adults(3)]),
    ("I would like to make a reservation for tomorrow, just me", ReservationRequest, En, &[In("2026-11-23"), Adults(1)]),
    ("Looking to book a single room on 12/03 for one night, my name is John Smith", ReservationRequest, En, &[Room("single"), In("2026-12-03"), Nights(1), Out("2026-12-04"), Name("John Smith")]),
    ("I want to stay at the Sol hotel in two weeks, 2 adults and a child", ReservationRequest, En, &[Hotel("sol"), In("2026-12-06"), Adults(2), Children(1)]),
    ("Please book a dobule room in Valenica from Dec 20 to Dec 27", ReservationRequest, En, &[Room("double"), City("Valencia"), In("2026-12-20"), Out("2026-12-27")]),
    ("I'd like a room for me and my wife on December 24th for 3 nights", ReservationRequest, En, &[Adults(2), In("2026-12-24"), Nights(3), Out("2026-12-27")]),
    ("Reserve a suite at Hotel Sol, 2026-12-31 to 2027-01-02, email ana@example.com", ReservationRequest, En, &[Room("suite"), Hotel("sol"), In("2026-12-31"), Out("2027-01-02"), Email("ana@example.com")]),
    ("I want to book for 2 adults, check in January 5 and check out January 8", ReservationRequest, En, &[In("2027-01-05"), Out("2027-01-08"), Adults(2)]),
    ("Need a room for tonight, 1 adult", ReservationRequest, En, &[In("2026-11-22"), Nights(1), Out("2026-11-23"), Adults(1)]),
    ("We'd like to book 2 nights at Hotel Mar starting the 28th, we're 2 adults with 1 child", ReservationRequest, En, &[Nights(2), Hotel("mar"), In("2026-11-28"), Out("2026-11-30"), Adults(2), Children(1)]),
    ("I'm Laura García and I'd like to book a double from Dec 3-6", ReservationRequest, En, &[Name("Laura García"), Room("double"), In("2026-12-03"), Out("2026-12-06")]),
    ("Hello! I want a room in Madrid for 2 people from Friday to Sunday", ReservationRequest, En, &[City("Madrid"), Adults(2), In("2026-11-27"), Out("2026-11-29")]),
    ("Could you book me a single for the day after tomorrow?", ReservationRequest, En, &[Room("single"), In("2026-11-24")]),
    ("I want to book a room for 2 from the 3rd to the 6th", ReservationRequest, En, &[Adults(2), In("2026-12-03"), Out("2026-12-06")]),
    ("Book a room, 3rd of December to the 5th, party of 5", ReservationRequest, En, &[In("2026-12-03"), Out("2026-12-05"), Adults(5)]),
    ("I'd like to book Hotel Sol from December 3rd, 2026 for a week", ReservationRequest, En, &[Hotel("sol"), In("2026-12-03"), Nights(7), Out("2026-12-10")]),
    ("Quiero reservar una habitación doble del 3 al 6 de diciembre para dos adultos y un niño", ReservationRequest, Es, &[Room("double"), In("2026-12-03"), Out("2026-12-06"), Adults(2), Children(1)]),
    ("Hola, quisiera hacer una reserva en el Hotel Mar para este fin de semana, somos 4", ReservationRequest, Es, &[Hotel("mar"), In("2026-11-27"), Out("2026-11-29"), Adults(4)]),
    ("Me gustaría reservar una suite en Madrid para el próximo viernes, 2 noches", ReservationRequest, Es, &[Room("suite"), City("Madrid"), In("2026-11-27"), Nights(2), Out("2026-11-29")]),
    ("Necesito una habitación individual para mañana", ReservationRequest, Es, &[Room("single"), In("2026-11-23")]),
    ("Queremos reservar 3 noches a partir del 10 de diciembre, dos adultos", ReservationRequest, Es, &[Nights(3), In("2026-12-10"), Out("2026-12-13"), Adults(2)]),
    ("Reservar habitación familiar en Valencia dentro de dos semanas para 2 adultos y 2 niños", ReservationRequest, Es, &[Room("family"), City("Valencia"), In("2026-12-06"), Adults(2), Children(2)]),
    ("Quiero una habitación matrimonial del 20 al 23 de diciembre, me llamo Ana López", ReservationRequest, Es, &[Room("double"), In("2026-12-20"), Out("2026-12-23"), Name("Ana López")]),
    ("Hola, soy Carlos Pérez y quiero reservar en el Sol para el 03/12, somos 3", ReservationRequest, Es, &[Name("Carlos Pérez"), Hotel("sol"), In("2026-12-03"), Adults(3)]),
    ("Quisiera reservar una doble para mi mujer y yo el 24 de diciembre por 2 noches", ReservationRequest, Es, &[Room("double"), Adults(2), In("2026-12-24"), Nights(2), Out("2026-12-26")]),
    ("Necesitamos una habitación para 4 personas desde el 28 de noviembre hasta el 2 de diciembre", ReservationRequest, Es, &[Adults(4), In("2026-11-28"), Out("2026-12-02")]),
    ("Quiero reservar para pasado mañana, yo solo", ReservationRequest, Es, &[In("2026-11-24"), Adults(1)]),
    ("Reservadme una suite en el Hotel Sol, del 1 al 4 de enero, mi correo es carlos@correo.es", ReservationRequest, Es, &[Room("suite"), Hotel("sol"), In("2027-01-01"), Out("2027-01-04"), Email("carlos@correo.es")]),
    ("Busco habitación doble en Madird para el día 5, somos dos", ReservationRequest, Es, &[Room("double"), City("Madrid"), In("2026-12-05"), Adults(2)]),
    ("Quiero reservar del 28 al 2 de diciembre, dos adultos y dos niños", ReservationRequest, Es, &[In("2026-11-28"), Out("2026-12-02"), Adults(2), Children(2)]),
    ("Quiero reservar para el 31, somos 2 y un bebé", ReservationRequest, Es, &[In("2026-12-31"), Adults(2), Children(1)]),
    ("Hola! Quería una habitación para el día 8 de diciembre por la tarde", ReservationRequest, Es, &[In("2026-12-08")]),
    ("Quiero reservar una semana a partir del 1 de marzo", ReservationRequest, Es, &[Nights(7), In("2027-03-01"), Out("2027-03-08")]),
    ("Quiero una habitación doble con cama supletoria para un niño", ReservationRequest, Es, &[Room("double"), Children(1)]),
    ("I'd like to arrive next Monday and stay until Thursday", ReservationRequest, En, &[In("2026-11-23"), Out("2026-11-26")]),
    // Availability and prices for dates.
    ("Do you have any rooms available for December 3?", AvailabilityCheck, En, &[In("2026-12-03")]),
    ("Is there availability at Hotel Sol this weekend for 2 adults?", AvailabilityCheck, En, &[Hotel("sol"), In("2026-11-27"), Out("2026-11-29"), Adults(2)]),
    ("Any vacancies in Valencia from the 10th to the 12th?", AvailabilityCheck, En, &[City("Valencia"), In("2026-12-10"), Out("2026-12-12")]),
    ("Are there any double rooms free on Dec 24?", AvailabilityCheck, En, &[Room("double"), In("2026-12-24")]),
    ("How much is a suite for 2 nights from December 3?", AvailabilityCheck, En, &[Room("suite"), Nights(2), In("2026-12-03"), Out("2026-12-05")]),
    ("Is a family room available for 2 adults and 3 children next weekend?", AvailabilityCheck, En, &[Room("family"), Adults(2), Children(3), In("2026-11-27"), Out("2026-11-29")]),
    ("What's the price of a double room for tomorrow night?", AvailabilityCheck, En, &[Room("double"), In("2026-11-23")]),
    ("Do you have a single room for the 5th of January?", AvailabilityCheck, En, &[Room("single"), In("2027-01-05")]),
    ("Do you have rooms in Madird on 12/20?", AvailabilityCheck, En, &[City("Madrid"), In("2026-12-20")]),
    ("Are you fully booked on New Year's Eve, December 31?", AvailabilityCheck, En, &[In("2026-12-31")]),
    ("¿Tenéis habitaciones libres para el 15 de diciembre?", AvailabilityCheck, Es, &[In("2026-12-15")]),
    ("¿Hay disponibilidad en el Hotel Mar del 3 al 6 de diciembre para dos personas?", AvailabilityCheck, Es, &[Hotel("mar"), In("2026-12-03"), Out("2026-12-06"), Adults(2)]),
    ("¿Cuánto cuesta una habitación doble para este fin de semana?", AvailabilityCheck, Es, &[Room("double"), In("2026-11-27"), Out("2026-11-29")]),
    ("¿Queda alguna suite libre para mañana?", AvailabilityCheck, Es, &[Room("suite"), In("2026-11-23")]),
    ("¿Tienen sitio para 3 personas el 31 de diciembre?", AvailabilityCheck, Es, &[Adults(3), In("2026-12-31")]),
    ("¿Hay habitaciones disponibles en Madrid dentro de dos semanas?", AvailabilityCheck, Es, &[City("Madrid"), In("2026-12-06")]),
    ("¿Está disponible la habitación familiar del 20 al 22 de diciembre?", AvailabilityCheck, Es, &[Room("family"), In("2026-12-20"), Out("2026-12-22")]),
    ("¿Qué precio tiene la suite del 10 al 12 de enero?", AvailabilityCheck, Es, &[Room("suite"), In("2027-01-10"), Out("2027-01-12")]),
    ("hola buenas, quería saber si tenéis libre una habitación para este finde", AvailabilityCheck, Es, &[In("2026-11-27"), Out("2026-11-29")]),
    ("Could you tell me if there's a room for one on the 1st?", AvailabilityCheck, En, &[In("2026-12-01"), Adults(1)]),
    // Changes.
    ("I need to change my booking SOL-88213 to December 10", ModificationRequest, En, &[Ref("SOL-88213"), In("2026-12-10")]),
    ("Can I reschedule my reservation to next Friday?", ModificationRequest, En, &[In("2026-11-27")]),
    ("I'd like to move my stay to the 15th-18th of December", ModificationRequest, En, &[In("2026-12-15"), Out("2026-12-18")]),
    ("Please change the dates of booking ABC12345 to Dec 5 - Dec 8", ModificationRequest, En, &[Ref("ABC12345"), In("2026-12-05"), Out("2026-12-08")]),
    ("Can we add an extra night to our reservation?", ModificationRequest, En, &[]),
    ("I want to extend my stay until December 8", ModificationRequest, En, &[Out("2026-12-08")]),
    ("Could I switch my room to a suite?", ModificationRequest, En, &[Room("suite")]),
    ("Please modify my reservation: 3 adults instead of 2", ModificationRequest, En, &[Adults(3)]),
    ("I need to change booking GPH-3FCWKK to Dec 10 to Dec 13", ModificationRequest, En, &[In("2026-12-10"), Out("2026-12-13")]),
    ("Can I change reservation ABC12345 to next Friday?", ModificationRequest, En, &[Ref("ABC12345"), In("2026-11-27")]),
    ("I want to move my booking to December 15", ModificationRequest, En, &[In("2026-12-15")]),
    ("We need to change dates to Dec 4 - Dec 6", ModificationRequest, En, &[In("2026-12-04"), Out("2026-12-06")]),
    ("Necesito cambiar reserva SOL-88213 al 5 de diciembre", ModificationRequest, Es, &[Ref("SOL-88213"), In("2026-12-05")]),
    ("Quiero cambiar mi reserva al 10 de diciembre hasta el 12", ModificationRequest, Es, &[In("2026-12-10"), Out("2026-12-12")]),
    ("Quiero cambiar la fecha de mi reserva SOL-88213 al 10 de diciembre", ModificationRequest, Es, &[Ref("SOL-88213"), In("2026-12-10")]),
    ("¿Puedo modificar mi reserva para el próximo fin de semana?", ModificationRequest, Es, &[In("2026-11-27"), Out("2026-11-29")]),
    ("Necesito cambiar las fechas: del 5 al 8 de enero", ModificationRequest, Es, &[In("2027-01-05"), Out("2027-01-08")]),
    ("¿Podemos aplazar la reserva una semana?", ModificationRequest, Es, &[]),
    ("Me gustaría añadir una noche más a mi reserva", ModificationRequest, Es, &[]),
    ("Cambiar la reserva ABC12345 a dos adultos y dos niños", ModificationRequest, Es, &[Ref("ABC12345"), Adults(2), Children(2)]),
    ("Can you make it a double instead?", ModificationRequest, En, &[Room("double")]),
    // Cancellations.
    ("I want to cancel my reservation SOL-88213", CancellationRequest, En, &[Ref("SOL-88213")]),
    ("Please cancel booking ABC12345, my name is Peter Jones", CancellationRequest, En, &[Ref("ABC12345"), Name("Peter Jones")]),
    ("Cancel my stay at Hotel Mar on December 3rd", CancellationRequest, En, &[Hotel("mar"), In("2026-12-03")]),
    ("need to cancel the hotel sol trip, the mar one stays", CancellationRequest, En, &[Hotel("sol")]),
    ("keep the hotel mar one, cancel sol", CancellationRequest, En, &[Hotel("sol")]),
    ("uy no, mejor en el hotel sol en vez del hotel mar, mismas fechas", ReservationRequest, Es, &[Hotel("sol")]),
    ("olvídalo, al final no vamos a valencia", Deny, Es, &[]),
    ("listo, entonces me la pasa para del 12 al 14 de diciembre por favor", ModificationRequest, Es, &[In("2026-12-12"), Out("2026-12-14")]),
    ("uf, la suite se me va de presupuesto. la doble entonces", ReservationRequest, Es, &[Room("double")]),
    ("uy no, mejor individual, que no nos aprueban gastos de suite", ReservationRequest, Es, &[Room("single")]),
    ("We can't make it anymore, please cancel", CancellationRequest, En, &[]),
    ("How do I cancel my booking?", CancellationRequest, En, &[]),
    ("I need to cancel the reservation for tomorrow", CancellationRequest, En, &[In("2026-11-23")]),
    ("Quiero cancelar mi reserva SOL-88213", CancellationRequest, Es, &[Ref("SOL-88213")]),
    ("Por favor, anulad la reserva a nombre de María Ruiz", CancellationRequest, Es, &[Name("María Ruiz")]),
    ("Necesito cancelar la reserva del 3 de diciembre", CancellationRequest, Es, &[In("2026-12-03")]),
    ("Ya no podemos ir, cancelen la reserva por favor", CancellationRequest, Es, &[]),
    ("Anular reserva ABC12345", CancellationRequest, Es, &[Ref("ABC12345")]),
    ("I don't want to book anymore", CancellationRequest, En, &[]),
    // Existing bookings.
    ("Can you check my booking SOL-88213?", BookingLookup, En, &[Ref("SOL-88213")]),
    ("What's the status of my reservation? My email is john.smith@example.com", BookingLookup, En, &[Email("john.smith@example.com")]),
    ("I have a reservation under the name Ana López", BookingLookup, En, &[Name("Ana López")]),
    ("Is my booking for December 3 confirmed?", BookingLookup, En, &[In("2026-12-03")]),
    ("I didn't receive a confirmation email for booking ABC12345", BookingLookup, En, &[Ref("ABC12345")]),
    ("My booking reference is sol-88213, can you look it up?", BookingLookup, En, &[Ref("SOL-88213")]),
    ("Booking number 4471823", BookingLookup, En, &[Ref("4471823")]),
    ("¿Puedes consultar mi reserva ABC12345?", BookingLookup, Es, &[Ref("ABC12345")]),
    ("Tengo una reserva para el 24 de diciembre, ¿está confirmada?", BookingLookup, Es, &[In("2026-12-24")]),
    ("Quiero ver los detalles de mi reserva, mi correo es lucia@example.es", BookingLookup, Es, &[Email("lucia@example.es")]),
    ("Localizador SOL-12345", BookingLookup, Es, &[Ref("SOL-12345")]),
    ("¿Cuál es el estado de mi reserva?", BookingLookup, Es, &[]),
    ("I am Mr. Thompson, booking THM-55012", BookingLookup, En, &[Name("Thompson"), Ref("THM-55012")]),
    // Questions about the hotel.
    ("What time is check-in?", GeneralInquiry, En, &[]),
    ("Is breakfast included?", GeneralInquiry, En, &[]),
    ("Do you allow pets?", GeneralInquiry, En, &[]),
    ("Do you have parking at Hotel Sol?", GeneralInquiry, En, &[Hotel("sol")]),
    ("How much is a double room?", GeneralInquiry, En, &[Room("double")]),
    ("What's your cancellation policy?", GeneralInquiry, En, &[]),
    ("Is there a pool or a gym?", GeneralInquiry, En, &[]),
    ("How far is the hotel from the airport?", GeneralInquiry, En, &[]),
    ("Where is Hotel Mar located?", GeneralInquiry, En, &[Hotel("mar")]),
    ("Do you have free wifi in the rooms?", GeneralInquiry, En, &[]),
    ("Can I bring my dog?", GeneralInquiry, En, &[]),
    ("Is late check-out possible?", GeneralInquiry, En, &[]),
    ("¿A qué hora es el desayuno?", GeneralInquiry, Es, &[]),
    ("¿Admiten mascotas?", GeneralInquiry, Es, &[]),
    ("¿Tiene el hotel aparcamiento?", GeneralInquiry, Es, &[]),
    ("¿Cuál es la política de cancelación?", GeneralInquiry, Es, &[]),
    ("¿Cuánto cuesta la suite?", GeneralInquiry, Es, &[Room("suite")]),
    ("¿Dónde está el Hotel Sol?", GeneralInquiry, Es, &[Hotel("sol")]),
    ("¿Hay wifi gratis?", GeneralInquiry, Es, &[]),
    ("¿Se puede fumar en las habitaciones?", GeneralInquiry, Es, &[]),
    // Complaints.
    ("The room is dirty and the shower doesn't work", Complaint, En, &[]),
    ("I want to complain, the staff at reception was very rude", Complaint, En, &[]),
    ("There is too much noise from the street, I can't sleep", Complaint, En, &[]),
    ("The air conditioning in room 304 is broken", Complaint, En, &[]),
    ("We were charged twice for booking SOL-88213, I want a refund", Complaint, En, &[Ref("SOL-88213")]),
    ("This is the worst hotel I've ever stayed in, absolutely disgusting", Complaint, En, &[]),
    ("There were bed bugs in our bed!", Complaint, En, &[]),
    ("Nobody came to fix the heating, this is unacceptable", Complaint, En, &[]),
    ("La habitación está sucia y el aire acondicionado no funciona", Complaint, Es, &[]),
    ("Quiero poner una queja, el personal fue muy maleducado", Complaint, Es, &[]),
    ("Hay mucho ruido por la noche y no podemos dormir", Complaint, Es, &[]),
    ("No hay agua caliente en la ducha, es inaceptable", Complaint, Es, &[]),
    ("Me cobraron dos veces, quiero un reembolso", Complaint, Es, &[]),
    ("El baño olía fatal y había cucarachas", Complaint, Es, &[]),
    ("Someone broke into our car in your parking lot", Complaint, En, &[]),
    // Praise.
    ("The stay was wonderful, the staff were so friendly!", Compliment, En, &[]),
    ("Amazing breakfast and great views, we loved it", Compliment, En, &[]),
    ("Thank you for a lovely stay, we will definitely recommend you", Compliment, En, &[]),
    ("Everything was perfect, well done to the team at Hotel Sol", Compliment, En, &[Hotel("sol")]),
    ("Great hotel, excellent service!", Compliment, En, &[]),
    ("La estancia fue maravillosa, el personal muy amable", Compliment, Es, &[]),
    ("¡Nos encantó el hotel! Gracias por todo", Compliment, Es, &[]),
    ("Enhorabuena al equipo, el desayuno estaba buenísimo", Compliment, Es, &[]),
    ("Todo perfecto, lo recomiendo al 100%", Compliment, Es, &[]),
    ("Excelente servicio, volveremos seguro", Compliment, Es, &[]),
    ("Your staff were incredibly helpful, 10/10", Compliment, En, &[]),
    // Openings.
    ("Hello!", Greeting, En, &[]),
    ("Hi there", Greeting, En, &[]),
    ("Good morning", Greeting, En, &[]),
    ("Hey, how are you?", Greeting, En, &[]),
    ("Hola", Greeting, Es, &[]),
    ("Buenos días", Greeting, Es, &[]),
    ("Buenas tardes, ¿qué tal?", Greeting, Es, &[]),
    ("Hola, buenas noches", Greeting, Es, &[]),
    // Closings.
    ("Thanks, bye!", Goodbye, En, &[]),
    ("That's all, thank you", Goodbye, En, &[]),
    ("Goodbye and have a nice day", Goodbye, En, &[]),
    ("See you soon!", Goodbye, En, &[]),
    ("Adiós, muchas gracias", Goodbye, Es, &[]),
    ("Hasta luego", Goodbye, Es, &[]),
    ("Eso es todo, gracias", Goodbye, Es, &[]),
    ("¡Hasta mañana!", Goodbye, Es, &[]),
    ("Gracias", Goodbye, Es, &[]),
    ("Thanks for your help!", Goodbye, En, &[]),
    // Yes.
    ("Yes", Affirm, En, &[]),
    ("Yes please, book it", Affirm, En, &[]),
    ("Sure, that works for me", Affirm, En, &[]),
    ("Sounds good", Affirm, En, &[]),
    ("Sí", Affirm, Es, &[]),
    ("Vale, perfecto", Affirm, Es, &[]),
    ("De acuerdo, adelante", Affirm, Es, &[]),
    ("Correcto", Affirm, Es, &[]),
    ("That would be great", Affirm, En, &[]),
    // No.
    ("No", Deny, En, &[]),
    ("No, thanks", Deny, En, &[]),
    ("Nope, that's wrong", Deny, En, &[]),
    ("Not really", Deny, En, &[]),
    ("No, gracias", Deny, Es, &[]),
    ("Para nada", Deny, Es, &[]),
    ("No, mejor no", Deny, Es, &[]),
    ("Olvídalo", Deny, Es, &[]),
    ("no that's not right", Deny, En, &[]),
    ("please don't cancel my booking", Deny, En, &[]),
    // People.
    ("I want to speak to a human", HumanHandoff, En, &[]),
    ("Can I talk to a real person please?", HumanHandoff, En, &[]),
    ("Let me talk to the manager", HumanHandoff, En, &[]),
    ("Put me through to customer service", HumanHandoff, En, &[]),
    ("Are you a bot? I want a real person", HumanHandoff, En, &[]),
    ("Quiero hablar con una persona", HumanHandoff, Es, &[]),
    ("Pásame con recepción, por favor", HumanHandoff, Es, &[]),
    ("Necesito hablar con un humano, no con un bot", HumanHandoff, Es, &[]),
    // Nothing to go on.
    ("asdfgh", Unknown, En, &[]),
    ("", Unknown, En, &[]),
    ("Purple elephants dance quietly", Unknown, En, &[]),
    ("42", Unknown, En, &[]),
    ("Lorem ipsum dolor sit amet", Unknown, En, &[]),
    ("ana.lopez@example.com", Unknown, En, &[Email("ana.lopez@example.com")]),
    ("Mi primo toca la guitarra", Unknown, Es, &[]),
    ("La vida es bella", Unknown, Es, &[]),
    // Answers to a question: entities alone hint at a booking.
    ("December 3rd to 6th", ReservationRequest, En, &[In("2026-12-03"), Out("2026-12-06")]),
    ("3 to 6 December", ReservationRequest, En, &[In("2026-12-03"), Out("2026-12-06")]),
    ("2 adults and 1 child", ReservationRequest, En, &[Adults(2), Children(1)]),
    ("the 3rd of December for 3 nights", ReservationRequest, En, &[In("2026-12-03"), Nights(3), Out("2026-12-06")]),
    ("in 3 days, 2 adults", ReservationRequest, En, &[In("2026-11-25"), Adults(2)]),
    ("next Friday", ReservationRequest, En, &[In("2026-11-27")]),
    ("12/03", ReservationRequest, En, &[In("2026-12-03")]),
    ("Dec 30 to Jan 2", ReservationRequest, En, &[In("2026-12-30"), Out("2027-01-02")]),
    ("from the 28th to the 2nd", ReservationRequest, En, &[In("2026-11-28"), Out("2026-12-02")]),
    ("we are 3, two adults and a kid", ReservationRequest, En, &[Adults(2), Children(1)]),
    ("for four", ReservationRequest, En, &[Adults(4)]),
    ("Nov 20", ReservationRequest, En, &[In("2027-11-20")]),
    ("2027-03-15", ReservationRequest, En, &[In("2027-03-15")]),
    ("check out on December 6", ReservationRequest, En, &[Out("2026-12-06")]),
    ("Suite", ReservationRequest, En, &[Room("suite")]),
    ("me and my 2 kids", ReservationRequest, En, &[Adults(1), Children(2)]),
    ("in a month", ReservationRequest, En, &[In("2026-12-22")]),
    ("this Wednesday until Saturday", ReservationRequest, En, &[In("2026-11-25"), Out("2026-11-28")]),
    ("3 noches", ReservationRequest, Es, &[Nights(3)]),
    ("del 3 al 6 de diciembre", ReservationRequest, Es, &[In("2026-12-03"), Out("2026-12-06")]),
    ("somos 4", ReservationRequest, Es, &[Adults(4)]),
    ("dentro de dos semanas", ReservationRequest, Es, &[In("2026-12-06")]),
    ("el 12/03, dos personas", ReservationRequest, Es, &[In("2027-03-12"), Adults(2)]),
    ("dos adultos y un niño", ReservationRequest, Es, &[Adults(2), Children(1)]),
    ("este fin de semana", ReservationRequest, Es, &[In("2026-11-27"), Out("2026-11-29")]),
    ("el próximo viernes, 2 noches", ReservationRequest, Es, &[In("2026-11-27"), Nights(2), Out("2026-11-29")]),
    ("entre el 3 y el 6 de diciembre", ReservationRequest, Es, &[In("2026-12-03"), Out("2026-12-06")]),
    ("desde hoy hasta el domingo", ReservationRequest, Es, &[In("2026-11-22"), Out("2026-11-29")]),
    ("somos cinco: tres adultos y dos niñas", ReservationRequest, Es, &[Adults(3), Children(2)]),
    ("mi mujer y yo con nuestro hijo", ReservationRequest, Es, &[Adults(2), Children(1)]),
    ("and a room for my husband and our eldest", ReservationRequest, En, &[Adults(2)]),
    ("ok i need a single for tonight, just me", ReservationRequest, En, &[Room("single"), In("2026-11-22"), Nights(1), Out("2026-11-23"), Adults(1)]),
    ("checking out tue", ReservationRequest, En, &[Out("2026-11-24")]),
    ("a double next weekend, fri to sun", ReservationRequest, En, &[Room("double"), In("2026-11-27"), Out("2026-11-29")]),
    ("hola! which bookings do i have rn?", BookingLookup, En, &[]),
    ("need to cut my trip short, leaving the 10th instead of the 11th", ModificationRequest, En, &[Out("2026-12-10")]),
    ("una individual del 5 al 9 de diciembre para mí y mi novia", ReservationRequest, Es, &[Room("single"), In("2026-12-05"), Out("2026-12-09"), Adults(2)]),
    ("una individual del 8 al 12 de marzo, nomás yo", ReservationRequest, Es, &[Room("single"), In("2027-03-08"), Out("2027-03-12"), Adults(1)]),
    ("I need to stay through Thursday night so checking out Friday the 11th instead", ReservationRequest, En, &[Out("2026-12-11")]),
    ("pues el viernes 8 de enero, una semana", ReservationRequest, Es, &[In("2027-01-08"), Nights(7), Out("2027-01-15")]),
    ("una individual del 18 al 20 de diciembre, voy solo", ReservationRequest, Es, &[Room("single"), In("2026-12-18"), Out("2026-12-20"), Adults(1)]),
    ("un mes y medio en el sol desde el 1 de marzo, 2 personas", ReservationRequest, Es, &[Hotel("sol"), In("2027-03-01"), Nights(45), Out("2027-04-15"), Adults(2)]),
    ("la familiar desde año nuevo hasta el 4 de enero, 3 personas", ReservationRequest, Es, &[Room("family"), In("2027-01-01"), Out("2027-01-04"), Adults(3)]),
    ("a single, arriving Monday the 7th of December and departing Friday the 11th", ReservationRequest, En, &[Room("single"), In("2026-12-07"), Out("2026-12-11")]),
    ("del jueves 18 al lunes 22", ReservationRequest, Es, &[In("2027-02-18"), Out("2027-02-22")]),
    ("oh wait sorry i had the wrong dates, its the 5th to the 8th", ReservationRequest, En, &[In("2026-12-05"), Out("2026-12-08")]),
    ("arriving Saturday the 13th now, still leaving Monday", ReservationRequest, En, &[In("2027-02-13"), Out("2027-02-15")]),
    ("llegamos el jueves 25 de marzo y salimos el domingo 28", ReservationRequest, Es, &[In("2027-03-25"), Out("2027-03-28")]),
    ("just do two doubles, 2 and 2", ReservationRequest, En, &[Room("double"), Adults(2)]),
    ("oh and our daughter and son-in-law want to join for the same week", ReservationRequest, En, &[Adults(1), Children(1)]),
    ("I want to book a room for my wife and kids", ReservationRequest, En, &[]),
    ("quiero reservar, soy madre soltera con 2 niños", ReservationRequest, Es, &[Adults(1), Children(2)]),
    ("we're 3 + a baby, family room jan 29-31", ReservationRequest, En, &[Room("family"), In("2027-01-29"), Out("2027-01-31"), Adults(3), Children(1)]),
    ("need a double dec 18-20 for 2 adults and our 8 month old", ReservationRequest, En, &[Room("double"), In("2026-12-18"), Out("2026-12-20"), Adults(2), Children(1)]),
    ("quiero una doble para new year's, del 31 al 2", ReservationRequest, Es, &[Room("double"), In("2026-12-31"), Out("2027-01-02")]),
    ("somos dos parejas y un bebé de 8 meses", ReservationRequest, Es, &[Adults(4), Children(1)]),
    ("a room for my parents", ReservationRequest, En, &[Adults(2)]),
    ("book a double for my mom pls", ReservationRequest, En, &[Room("double"), Adults(1)]),
    ("ahora una individual para mis papás, las mismas fechas", ReservationRequest, Es, &[Room("single"), Adults(2)]),
    // Misspelt months beside a day, the weekend of a date, people listed without commas.
    ("una doble del 20 al 22 de marso, 2 personas", ReservationRequest, Es, &[Room("double"), In("2027-03-20"), Out("2027-03-22"), Adults(2)]),
    ("a double febuary 3rd to the 6th", ReservationRequest, En, &[Room("double"), In("2027-02-03"), Out("2027-02-06")]),
    ("a double for the weekend of dec 12", ReservationRequest, En, &[Room("double"), In("2026-12-11"), Out("2026-12-13")]),
    ("una doble para el finde del 4 de diciembre, 2 adultos", ReservationRequest, Es, &[Room("double"), In("2026-12-04"), Out("2026-12-06"), Adults(2)]),
    ("a double jan 4-7, its me my husband and our daughter she's 12", ReservationRequest, En, &[Room("double"), In("2027-01-04"), Out("2027-01-07"), Adults(2), Children(1)]),
    ("a family room, it would be me, my husband and our three kids", ReservationRequest, En, &[Room("family"), Adults(2), Children(3)]),
    // Changes and lookups said the way guests say them.
    ("la quiero correr para otra fecha", ModificationRequest, Es, &[]),
    ("mejor en vez de cancelarla la muevo al 4 de diciembre", ModificationRequest, Es, &[In("2026-12-04")]),
    ("ah no, esa no es. entonces cuál tengo yo?", BookingLookup, Es, &[]),
    ("quiero una doble 12/20-12/22", ReservationRequest, Es, &[Room("double"), In("2026-12-20"), Out("2026-12-22")]),
    ("queremos pasar navidad en madrid, una doble para 2 desde nochebuena hasta el lunes", ReservationRequest, Es, &[City("Madrid"), Room("double"), Adults(2), In("2026-12-24"), Out("2026-12-28")]),
    ("una doble para mi esposa, yo y el bebé, del 2 al 4 de diciembre", ReservationRequest, Es, &[Room("double"), Adults(2), Children(1), In("2026-12-02"), Out("2026-12-04")]),
    ("una doble para mi esposa y para mí, del 18 al 20 de diciembre", ReservationRequest, Es, &[Room("double"), Adults(2), In("2026-12-18"), Out("2026-12-20")]),
    ("doble, 3 noches desde el 10 de dic, para mi", ReservationRequest, Es, &[Room("double"), Nights(3), In("2026-12-10"), Out("2026-12-13"), Adults(1)]),
    ("dec 3-5 works for me", Affirm, En, &[In("2026-12-03"), Out("2026-12-05")]),
    ("me cancelaron el vuelo, puedo llegar mañana?", ModificationRequest, Es, &[In("2026-11-23")]),
    ("my flight got cancelled, i need to cancel my room", CancellationRequest, En, &[]),
    ("una doble en madrid para la navidad de 2027, del 23 al 27 de diciembre", ReservationRequest, Es, &[Room("double"), City("Madrid"), In("2027-12-23"), Out("2027-12-27")]),
    ("y para esta navidad? de nochebuena al 27, 2 personas", ReservationRequest, Es, &[In("2026-12-24"), Out("2026-12-27"), Adults(2)]),
    ("a trip w my wife and our 2 kids", ReservationRequest, En, &[Adults(2), Children(2)]),
    ("a double for him and a friend dec 2 to dec 5", ReservationRequest, En, &[Room("double"), Adults(2), In("2026-12-02"), Out("2026-12-05")]),
];

fn expected(slots: &[Slot]) -> Entities {
    let mut e = Entities::default();
    for slot in slots {
        match *slot {
            In(d) => e.check_in = Some(date(d)),
            Out(d) => e.check_out = Some(date(d)),
            Nights(n) => e.nights = Some(n),
            Adults(n) => e.adults = Some(n),
            Children(n) => e.children = Some(n),
            Room(r) => e.room_type = Some(r.to_owned()),
            Hotel(h) => e.hotel = Some(h.to_owned()),
            City(c) => e.city = Some(c.to_owned()),
            Ref(r) => e.booking_ref = Some(r.to_owned()),
            Email(m) => e.email = Some(m.to_owned()),
            Name(n) => e.name = Some(n.to_owned()),
        }
    }
    e
}

#[test]
fn every_phrasing_of_the_table_is_understood() {
    let nlu = nlu();
    let mut failures = Vec::new();
    for (text, intent, language, slots) in TABLE {
        let u = nlu.analyze(text, today());
        let entities = expected(slots);
        if u.intent != *intent || u.language != *language || u.entities != entities {
            failures.push(format!(
                "{text:?}\n   want {intent:?} {language:?} {entities:?}\n   got  {:?} ({:.2}) {:?} {:?}",
                u.intent, u.confidence, u.language, u.entities
            ));
        }
    }
    let passed = TABLE.len() - failures.len();
    println!("offline NLU table: {passed}/{} phrasings", TABLE.len());
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        TABLE.len(),
        failures.join("\n")
    );
}

#[test]
fn the_table_covers_every_intent_in_both_languages() {
    let intents = [
        ReservationRequest,
        AvailabilityCheck,
        ModificationRequest,
        CancellationRequest,
        BookingLookup,
        GeneralInquiry,
        Complaint,
        Compliment,
        Greeting,
        Goodbye,
        Affirm,
        Deny,
        HumanHandoff,
    ];
    assert!(TABLE.len() >= 150, "{} rows", TABLE.len());
    for intent in intents {
        for language in [En, Es] {
            let rows = TABLE
                .iter()
                .filter(|(_, i, l, _)| *i == intent && *l == language)
                .count();
            assert!(rows >= 3, "{intent:?} in {language:?}: {rows} rows");
        }
    }
}
