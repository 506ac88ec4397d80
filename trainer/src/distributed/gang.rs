//! The c10d process group, through the shim in `csrc/gang.cpp`.

#![allow(
    unsafe_code,
    reason = "the FFI boundary to the c10d shim; each call's contract is stated where it is made"
)]

use std::ffi::{CString, c_char, c_void};
use std::ptr::NonNull;

use super::{GangConfig, GangError};

unsafe extern "C" {
    fn dialekt_gang_open(
        master_addr: *const c_char,
        master_port: u16,
        rank: i32,
        world_size: i32,
        timeout_ms: i64,
        backend: i32,
        gpu: i32,
        error: *mut c_char,
        capacity: usize,
    ) -> *mut c_void;
    fn dialekt_gang_all_reduce_f32(
        gang: *mut c_void,
        data: *mut f32,
        len: i64,
        error: *mut c_char,
        capacity: usize,
    ) -> i32;
    fn dialekt_gang_all_reduce_f64(
        gang: *mut c_void,
        data: *mut f64,
        len: i64,
        error: *mut c_char,
        capacity: usize,
    ) -> i32;
    fn dialekt_gang_barrier(gang: *mut c_void, error: *mut c_char, capacity: usize) -> i32;
    fn dialekt_gang_close(gang: *mut c_void);
}

/// Room for a c10d error message (they name the peer and the timeout).
const ERROR_CAPACITY: usize = 2048;

/// This process's membership of a gang; leaving it (drop) closes the group.
#[derive(Debug)]
pub struct Gang {
    raw: NonNull<c_void>,
    config: GangConfig,
}

// SAFETY: the shim's group is only ever used through `&mut self` or `&self` calls that
// c10d serialises itself (ProcessGroupGloo queues work on its own threads).
unsafe impl Send for Gang {}

impl Gang {
    /// Joins the gang `config` describes: rank 0 hosts the rendezvous, every rank waits
    /// for all the others, up to `config.timeout`.
    ///
    /// # Errors
    /// [`GangError::Join`] with c10d's message (e.g. a rank that never came).
    pub fn join(config: GangConfig) -> Result<Self, GangError> {
        let join_error = |message: String| GangError::Join {
            rank: config.rank,
            world_size: config.world_size,
            address: config.address(),
            message,
        };
        let address = CString::new(config.master_addr.clone())
            .map_err(|_| join_error("MASTER_ADDR contains a NUL byte".into()))?;
        let narrow =
            |n: usize| i32::try_from(n).map_err(|_| join_error(format!("{n} is too large a rank")));
        let (rank, world_size) = (narrow(config.rank)?, narrow(config.world_size)?);
        let gpu = narrow(config.local_rank)?;
        let timeout_ms = i64::try_from(config.timeout.as_millis()).unwrap_or(i64::MAX);
        let mut error = vec![0 as c_char; ERROR_CAPACITY];
        // SAFETY: `address` is a NUL-terminated string and `error` a writable buffer of
        // `ERROR_CAPACITY` bytes, both alive for the call; the shim catches every C++
        // exception.
        let raw = unsafe {
            dialekt_gang_open(
                address.as_ptr(),
                config.master_port,
                rank,
                world_size,
                timeout_ms,
                config.backend.code(),
                gpu,
                error.as_mut_ptr(),
                ERROR_CAPACITY,
            )
        };
        match NonNull::new(raw) {
            Some(raw) => Ok(Self { raw, config }),
            None => Err(join_error(message(&error))),
        }
    }

    #[must_use]
    pub fn config(&self) -> &GangConfig {
        &self.config
    }

    #[must_use]
    pub fn rank(&self) -> usize {
        self.config.rank
    }

    #[must_use]
    pub fn world_size(&self) -> usize {
        self.config.world_size
    }

    /// Replaces `values` by their sum over the gang (in place).
    ///
    /// # Errors
    /// [`GangError::Collective`] when a peer is gone or the timeout passes.
    pub fn all_reduce_sum_f32(&self, values: &mut [f32]) -> Result<(), GangError> {
        let len = self.length(values.len())?;
        self.call("all-reduce", |error| {
            // SAFETY: `values` is a live, exclusively borrowed buffer of `len` f32s; the
            // shim reduces into it and returns only when the work has completed.
            unsafe {
                dialekt_gang_all_reduce_f32(
                    self.raw.as_ptr(),
                    values.as_mut_ptr(),
                    len,
                    error,
                    ERROR_CAPACITY,
                )
            }
        })
    }

    /// Replaces `values` by their sum over the gang (in place); for counts and sums
    /// that must not lose precision.
    ///
    /// # Errors
    /// As [`Gang::all_reduce_sum_f32`].
    pub fn all_reduce_sum_f64(&self, values: &mut [f64]) -> Result<(), GangError> {
        let len = self.length(values.len())?;
        self.call("all-reduce", |error| {
            // SAFETY: as in `all_reduce_sum_f32`, for f64.
            unsafe {
                dialekt_gang_all_reduce_f64(
                    self.raw.as_ptr(),
                    values.as_mut_ptr(),
                    len,
                    error,
                    ERROR_CAPACITY,
                )
            }
        })
    }

    /// Waits until every rank has reached this point.
    ///
    /// # Errors
    /// As [`Gang::all_reduce_sum_f32`].
    pub fn barrier(&self) -> Result<(), GangError> {
        self.call("barrier", |error| {
            // SAFETY: the group is alive while `self` is.
            unsafe { dialekt_gang_barrier(self.raw.as_ptr(), error, ERROR_CAPACITY) }
        })
    }

    fn length(&self, len: usize) -> Result<i64, GangError> {
        i64::try_from(len).map_err(|_| GangError::Collective {
            operation: "all-reduce",
            rank: self.config.rank,
            message: format!("{len} values are too many"),
        })
    }

    fn call(
        &self,
        operation: &'static str,
        body: impl FnOnce(*mut c_char) -> i32,
    ) -> Result<(), GangError> {
        let mut error = vec![0 as c_char; ERROR_CAPACITY];
        if body(error.as_mut_ptr()) == 0 {
            Ok(())
        } else {
            Err(GangError::Collective {
                operation,
                rank: self.config.rank,
                message: message(&error),
            })
        }
    }
}

impl Drop for Gang {
    fn drop(&mut self) {
        // SAFETY: `raw` came from `dialekt_gang_open` and is closed exactly once.
        unsafe { dialekt_gang_close(self.raw.as_ptr()) }
    }
}

impl super::Collective for Gang {
    fn rank(&self) -> usize {
        self.config.rank
    }

    fn world_size(&self) -> usize {
        self.config.world_size
    }

    fn local_rank(&self) -> usize {
        self.config.local_rank
    }

    fn all_reduce_sum_f32(&self, values: &mut [f32]) -> Result<(), GangError> {
        Gang::all_reduce_sum_f32(self, values)
    }

    fn all_reduce_sum_f64(&self, values: &mut [f64]) -> Result<(), GangError> {
        Gang::all_reduce_sum_f64(self, values)
    }

    fn barrier(&self) -> Result<(), GangError> {
        Gang::barrier(self)
    }
}

/// The NUL-terminated message the shim wrote into `buffer`.
fn message(buffer: &[c_char]) -> String {
    let bytes: Vec<u8> = buffer
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c.to_ne_bytes()[0])
        .collect();
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    if text.is_empty() {
        "no message from c10d".to_owned()
    } else {
        text
    }
}
