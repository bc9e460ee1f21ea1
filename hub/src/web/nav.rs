//! The console's navigation: the same links on every console page, by what the signed-in member of staff may
//! open, with the page shown marked as current.
//!
//! The console's pages of the app's screens ([`super::console_app::PAGES`]) are listed when the core says the
//! person may open their screen ([`azukari_core::app::screens_open_to`], what the app's home screen offers): the
//! navigation asks the core rather than deciding again by role.

use super::Visit;
use super::console_app::PAGES;
use super::page::Link;
use azukari_core::app::{ScreenKind, screens_open_to};
use azukari_core::flows::Session;
use azukari_core::model::{Role, StaffId};

/// The screens `staff` may open, as the core's rules say (signed in on the hub's session for the question, then
/// signed out again); none when the session cannot sign them in. Called where the hub is already held (off the
/// async threads).
pub(super) fn openable(session: &mut Session, staff: StaffId) -> Vec<ScreenKind> {
    if session.sign_in(staff).is_err() {
        return Vec::new();
    }
    let screens = screens_open_to(session);
    session.sign_out();
    screens
}

/// The console's links for a member of staff with `roles` who may open `openable`, `path` marked as the page
/// shown.
pub(super) fn links(
    visit: &Visit,
    roles: &[Role],
    openable: &[ScreenKind],
    path: &str,
) -> Vec<Link> {
    let may = |role: Role| roles.contains(&role);
    let mut links = vec![("web-nav-home", "/console")];
    if may(Role::Supervisor) || may(Role::Admin) {
        links.push(("web-nav-approvals", "/console/approvals"));
        links.push(("web-nav-board", "/console/board"));
    }
    links.extend(
        PAGES
            .iter()
            .filter(|page| openable.contains(&page.screen))
            .map(|page| (page.label, page.path)),
    );
    if may(Role::Admin) || may(Role::Supervisor) {
        links.push(("web-nav-people", "/console/people"));
    }
    if may(Role::Admin) {
        links.push(("web-nav-devices", "/console/devices"));
    }
    links.push(("web-nav-app", "/console/app"));
    links
        .into_iter()
        .map(|(id, href)| Link {
            label: visit.text(id),
            href: href.to_string(),
            current: href == path,
        })
        .collect()
}
