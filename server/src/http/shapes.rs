//! What the `/api/*` endpoints answer with: one `Serialize` type per JSON shape, built from
//! the agent's, the catalog's and the engine's types. The wire format is spelled out here and
//! changes only here; no engine type is serialised onto the wire, and no `Debug` output.
//!
//! The one exception is a thread's `values`: the agent's state as it is checkpointed, which is
//! a JSON document already.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use graph_core::{
    Breakpoint, CheckpointMeta, EdgeKind, GraphDescription, NodeId, NodeKind, ThreadStatus,
};
use hotel::{
    Amenities, Booking, BookingStatus, Breakfast, Catalog, Cents, GuestId, Hotel, Parking, Pets,
    Shuttle,
};
use serde::Serialize;
use serde_json::Value;

use crate::agent::TurnOutcome;

/// Dollars with 2 decimals; exact for any realistic amount.
fn dollars(amount: Cents) -> f64 {
    (amount.0 as f64) / 100.0
}

/// Node names, in order.
pub(crate) fn node_names(nodes: &[NodeId]) -> Vec<String> {
    nodes.iter().map(|n| n.as_str().to_owned()).collect()
}

/// Plain text with a content type (the test page's assets, DOT, Mermaid, metrics).
pub(crate) struct Text {
    pub(crate) content_type: &'static str,
    pub(crate) body: String,
}

impl IntoResponse for Text {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, self.content_type)], self.body).into_response()
    }
}

/// `POST /api/chat`: what one turn produced.
#[derive(Serialize)]
pub(crate) struct ChatReply {
    thread_id: String,
    reply: String,
    /// The intent the turn was read as; `null` when none was.
    intent: Option<String>,
    /// The nodes the turn ran, in order.
    nodes: Vec<String>,
    /// While a person has the conversation, why (`asked_for_person`, `anger`, …); the agent
    /// then answers nothing and staff reply.
    handoff: Option<&'static str>,
}

impl From<TurnOutcome> for ChatReply {
    fn from(turn: TurnOutcome) -> ChatReply {
        ChatReply {
            thread_id: turn.thread_id,
            reply: turn.reply,
            intent: turn.intent,
            nodes: turn.nodes,
            handoff: turn.handoff.map(|reason| reason.as_str()),
        }
    }
}

/// A booking, as `GET /api/users/{user_id}/bookings` lists them.
#[derive(Serialize)]
pub(crate) struct BookingView {
    reference: String,
    hotel_code: String,
    /// The hotel's name, or its code when the catalog no longer has it.
    hotel: String,
    room_type: &'static str,
    /// `YYYY-MM-DD`.
    check_in: String,
    /// `YYYY-MM-DD`.
    check_out: String,
    guests: u32,
    /// Dollars.
    total: f64,
    /// `confirmed` or `cancelled`.
    status: &'static str,
}

impl BookingView {
    pub(crate) fn new(booking: &Booking, catalog: &Catalog) -> BookingView {
        let q = &booking.quote;
        let hotel = catalog
            .hotel(&q.hotel)
            .map_or_else(|_| q.hotel.clone(), |h| h.name.clone());
        BookingView {
            reference: booking.reference.as_str().to_owned(),
            hotel_code: q.hotel.clone(),
            hotel,
            room_type: q.room.name(),
            check_in: q.check_in.format("%Y-%m-%d").to_string(),
            check_out: q.check_out.format("%Y-%m-%d").to_string(),
            guests: q.guests,
            total: dollars(q.total),
            status: match booking.status {
                BookingStatus::Confirmed => "confirmed",
                BookingStatus::Cancelled => "cancelled",
            },
        }
    }
}

/// `GET /api/bookings/{reference}`: a booking and whose it is.
#[derive(Serialize)]
pub(crate) struct GuestBooking {
    #[serde(flatten)]
    booking: BookingView,
    channel: String,
    user_id: String,
}

impl GuestBooking {
    pub(crate) fn new(guest: GuestId, booking: &Booking, catalog: &Catalog) -> GuestBooking {
        GuestBooking {
            booking: BookingView::new(booking, catalog),
            channel: guest.channel,
            user_id: guest.user,
        }
    }
}

/// A hotel of `GET /api/hotels`.
#[derive(Serialize)]
pub(crate) struct HotelView {
    code: String,
    name: String,
    stars: u8,
    city: String,
    area: String,
    /// `HH:MM`.
    check_in: String,
    /// `HH:MM`.
    check_out: String,
    rooms: Vec<RoomView>,
    amenities: AmenitiesView,
}

/// A room type of a [`HotelView`].
#[derive(Serialize)]
struct RoomView {
    #[serde(rename = "type")]
    kind: &'static str,
    count: u32,
    /// Dollars per night, before surcharges.
    base_price: f64,
    max_guests: u32,
}

impl From<&Hotel> for HotelView {
    fn from(h: &Hotel) -> HotelView {
        HotelView {
            code: h.code.clone(),
            name: h.name.clone(),
            stars: h.stars,
            city: h.city.clone(),
            area: h.area.clone(),
            check_in: h.check_in.format("%H:%M").to_string(),
            check_out: h.check_out.format("%H:%M").to_string(),
            rooms: h
                .rooms
                .iter()
                .map(|r| RoomView {
                    kind: r.kind.name(),
                    count: r.count,
                    base_price: dollars(r.base),
                    max_guests: r.max_guests,
                })
                .collect(),
            amenities: AmenitiesView::from(&h.amenities),
        }
    }
}

/// A hotel's services, shaped as the catalog writes them (prices in cents, terms tagged by
/// `kind`).
#[derive(Serialize)]
struct AmenitiesView {
    free_wifi: bool,
    breakfast: BreakfastView,
    pool: bool,
    spa: bool,
    gym: bool,
    parking: ParkingView,
    airport_shuttle: ShuttleView,
    restaurant: bool,
    meeting_rooms: bool,
    pets: PetsView,
    non_smoking: bool,
    min_check_in_age: u8,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum BreakfastView {
    Included,
    PerPersonPerDay { price_cents: u64 },
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum ParkingView {
    None { note: Option<String> },
    Free,
    Paid { per_night_cents: u64, valet: bool },
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum ShuttleView {
    None,
    #[serde(rename = "free_24h")]
    Free24h,
    PerTrip {
        price_cents: u64,
    },
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum PetsView {
    NotAllowed,
    Allowed { fee_per_night_cents: u64 },
}

impl From<&Amenities> for AmenitiesView {
    fn from(a: &Amenities) -> AmenitiesView {
        AmenitiesView {
            free_wifi: a.free_wifi,
            breakfast: match a.breakfast {
                Breakfast::Included => BreakfastView::Included,
                Breakfast::PerPersonPerDay { price_cents } => BreakfastView::PerPersonPerDay {
                    price_cents: price_cents.0,
                },
            },
            pool: a.pool,
            spa: a.spa,
            gym: a.gym,
            parking: match &a.parking {
                Parking::None { note } => ParkingView::None { note: note.clone() },
                Parking::Free => ParkingView::Free,
                Parking::Paid {
                    per_night_cents,
                    valet,
                } => ParkingView::Paid {
                    per_night_cents: per_night_cents.0,
                    valet: *valet,
                },
            },
            airport_shuttle: match a.airport_shuttle {
                Shuttle::None => ShuttleView::None,
                Shuttle::Free24h => ShuttleView::Free24h,
                Shuttle::PerTrip { price_cents } => ShuttleView::PerTrip {
                    price_cents: price_cents.0,
                },
            },
            restaurant: a.restaurant,
            meeting_rooms: a.meeting_rooms,
            pets: match a.pets {
                Pets::NotAllowed => PetsView::NotAllowed,
                Pets::Allowed {
                    fee_per_night_cents,
                } => PetsView::Allowed {
                    fee_per_night_cents: fee_per_night_cents.0,
                },
            },
            non_smoking: a.non_smoking,
            min_check_in_age: a.min_check_in_age,
        }
    }
}

/// `GET /api/threads/{thread_id}/state`.
#[derive(Serialize)]
pub(crate) struct ThreadState {
    pub(crate) thread_id: String,
    /// The agent's state as checkpointed.
    pub(crate) values: Value,
    /// The nodes planned next.
    pub(crate) next: Vec<String>,
    /// `idle`, `interrupted`, `error` or `pending`.
    pub(crate) status: &'static str,
    pub(crate) checkpoint: Option<CheckpointView>,
}

/// The name of a thread's status on the wire.
pub(crate) fn status_name(status: ThreadStatus) -> &'static str {
    match status {
        ThreadStatus::Idle => "idle",
        ThreadStatus::Interrupted => "interrupted",
        ThreadStatus::Error => "error",
        ThreadStatus::Pending => "pending",
    }
}

/// A checkpoint without its values (a thread's head, a history entry), or with them
/// (`history?values=true`).
#[derive(Serialize)]
pub(crate) struct CheckpointView {
    thread: String,
    /// The subgraph's namespace; absent for the root graph.
    #[serde(skip_serializing_if = "Option::is_none")]
    ns: Option<String>,
    id: u64,
    /// `null` for a thread's first checkpoint.
    parent: Option<u64>,
    /// -1 for the first input, then one more per superstep.
    step: i64,
    /// `input`, `loop`, `update` or `fork`.
    source: &'static str,
    created_at_ms: u64,
    next: Vec<String>,
    writers: Vec<String>,
    /// `before` or `after` when the run stopped here at a breakpoint, else `null`.
    breakpoint: Option<&'static str>,
    /// What the run that wrote it was tagged with (the turn's correlation and message ids).
    metadata: serde_json::Map<String, Value>,
    /// The agent's state at it, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    values: Option<Value>,
}

impl CheckpointView {
    /// Also carries the state at the checkpoint.
    pub(crate) fn with_values(mut self, values: Value) -> CheckpointView {
        self.values = Some(values);
        self
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl From<CheckpointMeta> for CheckpointView {
    fn from(meta: CheckpointMeta) -> CheckpointView {
        CheckpointView {
            thread: meta.thread.as_str().to_owned(),
            ns: (!meta.ns.is_root()).then(|| meta.ns.to_string()),
            id: meta.id.0,
            parent: meta.parent.map(|p| p.0),
            step: meta.step,
            source: meta.source.as_str(),
            created_at_ms: meta.created_at_ms,
            next: node_names(&meta.next),
            writers: node_names(&meta.writers),
            breakpoint: meta.breakpoint.map(|b| match b {
                Breakpoint::Before => "before",
                Breakpoint::After => "after",
            }),
            metadata: meta.metadata,
            values: None,
        }
    }
}

/// `GET /api/threads/{thread_id}/history`: a page, newest first.
#[derive(Serialize)]
pub(crate) struct HistoryPage {
    pub(crate) checkpoints: Vec<CheckpointView>,
    /// The cursor for the next page (`before=`), `null` on the last.
    pub(crate) next_before: Option<u64>,
}

/// `GET /api/graph`: vertices and edges, shaped like LangGraph's `get_graph().to_json()`.
#[derive(Serialize)]
pub(crate) struct GraphView {
    nodes: Vec<NodeView>,
    edges: Vec<EdgeView>,
}

#[derive(Serialize)]
struct NodeView {
    /// The node's name, or `__start__` / `__end__`.
    id: String,
    /// `start`, `end`, `node` or `push`.
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct EdgeView {
    source: String,
    target: String,
    conditional: bool,
    /// `static`, `conditional`, `command` or `join`.
    kind: &'static str,
}

impl From<GraphDescription> for GraphView {
    fn from(graph: GraphDescription) -> GraphView {
        GraphView {
            nodes: graph
                .nodes
                .into_iter()
                .map(|n| NodeView {
                    id: n.id,
                    kind: match n.kind {
                        NodeKind::Start => "start",
                        NodeKind::End => "end",
                        NodeKind::Node => "node",
                        NodeKind::Push => "push",
                    },
                })
                .collect(),
            edges: graph
                .edges
                .into_iter()
                .map(|e| EdgeView {
                    source: e.source,
                    target: e.target,
                    conditional: e.conditional,
                    kind: match e.kind {
                        EdgeKind::Static => "static",
                        EdgeKind::Conditional => "conditional",
                        EdgeKind::Command => "command",
                        EdgeKind::Join => "join",
                    },
                })
                .collect(),
        }
    }
}
