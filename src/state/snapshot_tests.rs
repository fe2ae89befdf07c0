//! The snapshot's sharing and name index: an update copies the venture it changes, nothing else.

use std::sync::Arc;

use super::*;

fn fleet(n: usize) -> SharedState {
    let ventures = (0..n)
        .map(|i| VentureState {
            name: format!("v{i:05}"),
            ..Default::default()
        })
        .collect();
    SharedState::new(Snapshot::new(0, AgentState::default(), ventures))
}

#[test]
fn an_update_shares_every_venture_it_does_not_change() {
    let state = fleet(1_000);
    let before = state.load();
    state.update(|s| {
        if let Some(v) = s.venture_mut("v00500") {
            v.leader = Some(true);
        }
    });
    let after = state.load();
    let shared = (0..1_000)
        .filter(|&i| Arc::ptr_eq(&before.ventures[i], &after.ventures[i]))
        .count();
    assert_eq!(shared, 999);
    assert_eq!(before.venture("v00500").and_then(|v| v.leader), None);
    assert_eq!(after.venture("v00500").and_then(|v| v.leader), Some(true));
    assert_eq!(after.generation, before.generation + 1);
}

#[test]
fn lookups_use_the_index_and_survive_ventures_added_later() {
    let state = fleet(3);
    let snap = state.load();
    assert_eq!(snap.index.len(), 3);
    assert_eq!(
        snap.venture("v00002").map(|v| v.name.as_str()),
        Some("v00002")
    );
    assert!(snap.venture("nope").is_none());
    state.update(|s| {
        s.push_venture(VentureState {
            name: "late".into(),
            ..Default::default()
        });
        // A venture pushed without the index is still found, by a scan.
        s.ventures.push_back(Arc::new(VentureState {
            name: "unindexed".into(),
            ..Default::default()
        }));
    });
    let snap = state.load();
    assert_eq!(snap.venture("late").map(|v| v.name.as_str()), Some("late"));
    assert!(snap.venture("unindexed").is_some());
    assert!(snap.venture("v00000").is_some());
}

#[test]
fn ventures_mut_touches_all_of_them() {
    let state = fleet(4);
    state.update(|s| s.ventures_mut().for_each(|v| v.leader = Some(false)));
    assert!(state
        .load()
        .ventures
        .iter()
        .all(|v| v.leader == Some(false)));
}
