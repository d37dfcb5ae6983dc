//! A registry of every slot a test creates: its id, its size, whether a lease holds it, and how
//! many times it was dropped. It is what lets tests prove that no slot is leaked or dropped
//! twice, whatever the pool does internally.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct Record {
    drops: u32,
    leased: bool,
}

/// Shared by every slot of a test.
#[derive(Debug, Default)]
pub struct Registry {
    records: Mutex<Vec<Record>>,
}

/// A pool slot standing in for a shared-memory segment: an id and a size, and a `Drop` that
/// reports to the registry.
#[derive(Debug)]
pub struct Slot {
    pub id: usize,
    pub size: usize,
    registry: Arc<Registry>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.registry.records.lock().unwrap()[self.id].drops += 1;
    }
}

impl Registry {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// A new slot with the next id (ids count from 0).
    pub fn create(self: &Arc<Self>, size: usize) -> Slot {
        let mut records = self.records.lock().unwrap();
        records.push(Record::default());
        Slot {
            id: records.len() - 1,
            size,
            registry: Arc::clone(self),
        }
    }

    pub fn created(&self) -> usize {
        self.records.lock().unwrap().len()
    }

    pub fn drops_of(&self, id: usize) -> u32 {
        self.records.lock().unwrap()[id].drops
    }

    /// Ids of slots created and not yet dropped.
    pub fn alive(&self) -> BTreeSet<usize> {
        let records = self.records.lock().unwrap();
        (0..records.len())
            .filter(|&id| records[id].drops == 0)
            .collect()
    }

    /// Notes that a lease now holds `id`; fails if another lease already does.
    pub fn mark_leased(&self, id: usize) {
        let record = &mut self.records.lock().unwrap()[id];
        assert!(!record.leased, "slot {id} is held by two leases at once");
        assert_eq!(record.drops, 0, "slot {id} was leased after being dropped");
        record.leased = true;
    }

    /// Notes that the lease holding `id` is about to be dropped.
    pub fn mark_returned(&self, id: usize) {
        let record = &mut self.records.lock().unwrap()[id];
        assert!(record.leased, "slot {id} returned without being leased");
        record.leased = false;
    }

    /// Every slot ever created was dropped exactly once.
    pub fn assert_each_dropped_once(&self) {
        let records = self.records.lock().unwrap();
        let wrong: Vec<(usize, u32)> = records
            .iter()
            .enumerate()
            .filter(|(_, record)| record.drops != 1)
            .map(|(id, record)| (id, record.drops))
            .collect();
        assert!(
            wrong.is_empty(),
            "slots (id, drops) not dropped exactly once: {wrong:?} of {} created",
            records.len()
        );
    }
}
