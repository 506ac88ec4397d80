//! Summing a step's gradients over the gang, between the backward passes and the
//! optimizer step, as torch's DDP does: in buckets of 25 MB (DDP's default), so the
//! extra memory stays bounded whatever the model's size.
//!
//! A parameter may have a gradient on some ranks only (LayerDrop can skip a layer in
//! every micro-batch of one rank). Which parameters have one *anywhere* is agreed first,
//! so every rank contributes the same buffers in the same order (zeros where it has no
//! gradient), and a parameter with no gradient on any rank stays without one — as in a
//! single process, where the optimizer then leaves it untouched.

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Shape, Tensor, TensorData};

use super::GangError;

/// The collectives data-parallel training needs (implemented by the c10d gang; a trait
/// so that the training step does not depend on the `distributed` feature).
pub trait Collective {
    fn rank(&self) -> usize;
    fn world_size(&self) -> usize;
    /// The rank among this node's ranks (which GPU of the node is this rank's).
    fn local_rank(&self) -> usize;
    /// Replaces `values` by their sum over the gang.
    ///
    /// # Errors
    /// A peer gone or the timeout passed.
    fn all_reduce_sum_f32(&self, values: &mut [f32]) -> Result<(), GangError>;
    /// As [`Collective::all_reduce_sum_f32`], in double precision.
    ///
    /// # Errors
    /// As [`Collective::all_reduce_sum_f32`].
    fn all_reduce_sum_f64(&self, values: &mut [f64]) -> Result<(), GangError>;
    /// Waits until every rank has reached this point.
    ///
    /// # Errors
    /// As [`Collective::all_reduce_sum_f32`].
    fn barrier(&self) -> Result<(), GangError>;
    /// Whether `flag` is set on any rank (for decisions every rank must take together,
    /// such as stopping after an interrupt).
    ///
    /// # Errors
    /// As [`Collective::all_reduce_sum_f32`].
    fn any(&self, flag: bool) -> Result<bool, GangError> {
        let mut count = [if flag { 1.0 } else { 0.0 }];
        self.all_reduce_sum_f64(&mut count)?;
        Ok(count[0] > 0.0)
    }
}

/// Whether this process writes the run's files: rank 0 of a gang, or a process alone.
#[must_use]
pub fn writes(gang: Option<&dyn Collective>) -> bool {
    gang.is_none_or(|gang| gang.rank() == 0)
}

/// Elements per all-reduce: torch DDP's default bucket of 25 MB of float32.
pub const BUCKET_ELEMENTS: usize = 25 * 1024 * 1024 / 4;

/// Replaces every gradient of `model` in `grads` by its sum over the gang.
///
/// # Errors
/// A collective that failed (a peer gone, the timeout passed).
pub fn all_reduce_gradients<M: Module>(
    model: &M,
    grads: &mut GradientsParams,
    gang: &dyn Collective,
) -> Result<(), GangError> {
    let mut listing = Presence {
        grads,
        present: Vec::new(),
    };
    model.visit(&mut listing);
    let mut anywhere: Vec<f64> = listing
        .present
        .iter()
        .map(|&here| if here { 1.0 } else { 0.0 })
        .collect();
    gang.all_reduce_sum_f64(&mut anywhere)?;

    let mut reducer = Reducer {
        grads,
        gang,
        anywhere: anywhere.into_iter().map(|n| n > 0.0).collect(),
        next: 0,
        bucket: Vec::new(),
        pending: Vec::new(),
        error: None,
    };
    model.visit(&mut reducer);
    reducer.flush();
    reducer.error.map_or(Ok(()), Err)
}

/// Whether each float parameter (in visiting order) has a gradient on this rank.
struct Presence<'a> {
    grads: &'a GradientsParams,
    present: Vec<bool>,
}

impl ModuleVisitor for Presence<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.present.push(self.grads.get::<D>(param.id).is_some());
    }
}

/// Registers a reduced gradient back (typed by its rank `D`, which the bucket forgets).
type Unpack = Box<dyn FnOnce(&mut GradientsParams, &[f32])>;

struct Reducer<'a> {
    grads: &'a mut GradientsParams,
    gang: &'a dyn Collective,
    /// Per float parameter in visiting order: has a gradient on some rank.
    anywhere: Vec<bool>,
    next: usize,
    bucket: Vec<f32>,
    pending: Vec<(std::ops::Range<usize>, Unpack)>,
    error: Option<GangError>,
}

impl Reducer<'_> {
    fn flush(&mut self) {
        if self.bucket.is_empty() || self.error.is_some() {
            return;
        }
        if let Err(error) = self.gang.all_reduce_sum_f32(&mut self.bucket) {
            self.error = Some(error);
            return;
        }
        for (range, unpack) in self.pending.drain(..) {
            unpack(self.grads, &self.bucket[range]);
        }
        self.bucket.clear();
    }
}

impl ModuleVisitor for Reducer<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let anywhere = self.anywhere.get(self.next).copied().unwrap_or(false);
        self.next += 1;
        if !anywhere || self.error.is_some() {
            return;
        }
        let id: ParamId = param.id;
        let value = param.val();
        let (shape, device): (Shape, Device) = (value.shape(), value.device());
        let grad = self
            .grads
            .remove::<D>(id)
            .unwrap_or_else(|| Tensor::zeros(shape.clone(), &device));
        let values: Vec<f32> = grad
            .into_data()
            .convert::<f32>()
            .try_into_vec()
            .expect("data converted to f32 reads as f32");
        let start = self.bucket.len();
        self.bucket.extend_from_slice(&values);
        let unpack: Unpack = Box::new(move |grads, reduced| {
            let data = TensorData::new(reduced.to_vec(), shape);
            grads.register::<D>(id, Tensor::from_data(data, &device));
        });
        self.pending.push((start..self.bucket.len(), unpack));
        if self.bucket.len() >= BUCKET_ELEMENTS {
            self.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use burn::module::Module;
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::Device;

    use super::*;

    #[derive(Module, Debug)]
    struct Two {
        first: Linear,
        second: Linear,
    }

    /// A gang of this rank and one simulated peer, whose contributions are given: the
    /// presence flags it sends, then the buffers it sends.
    struct WithPeer {
        presence: Vec<f64>,
        buffers: RefCell<Vec<Vec<f32>>>,
    }

    impl Collective for WithPeer {
        fn rank(&self) -> usize {
            0
        }
        fn world_size(&self) -> usize {
            2
        }
        fn local_rank(&self) -> usize {
            0
        }
        fn all_reduce_sum_f32(&self, values: &mut [f32]) -> Result<(), GangError> {
            let peer = self.buffers.borrow_mut().remove(0);
            assert_eq!(peer.len(), values.len(), "both ranks send equal buffers");
            values.iter_mut().zip(peer).for_each(|(v, p)| *v += p);
            Ok(())
        }
        fn all_reduce_sum_f64(&self, values: &mut [f64]) -> Result<(), GangError> {
            values
                .iter_mut()
                .zip(&self.presence)
                .for_each(|(v, p)| *v += p);
            Ok(())
        }
        fn barrier(&self) -> Result<(), GangError> {
            Ok(())
        }
    }

    fn grad(grads: &GradientsParams, param: &Param<Tensor<2>>) -> Option<Vec<f32>> {
        grads
            .get::<2>(param.id)
            .map(|t| t.into_data().convert::<f32>().try_into_vec().unwrap())
    }

    #[test]
    fn a_gradient_only_the_peer_has_is_summed_with_zeros_and_one_nobody_has_stays_absent() {
        let device = Device::flex();
        let model = Two {
            first: LinearConfig::new(2, 2).with_bias(false).init(&device),
            second: LinearConfig::new(2, 1).with_bias(false).init(&device),
        };
        // Here: a gradient for `first` only. The peer: for `first` and `second`. Visiting
        // order: first.weight, second.weight.
        let mut grads = GradientsParams::new();
        let ones = Tensor::<2>::ones([2, 2], &device);
        grads.register::<2>(model.first.weight.id, ones);
        let gang = WithPeer {
            presence: vec![1.0, 1.0],
            buffers: RefCell::new(vec![vec![10.0, 20.0, 30.0, 40.0, 5.0, 6.0]]),
        };
        all_reduce_gradients(&model, &mut grads, &gang).unwrap();
        assert_eq!(
            grad(&grads, &model.first.weight).unwrap(),
            [11.0, 21.0, 31.0, 41.0]
        );
        assert_eq!(grad(&grads, &model.second.weight).unwrap(), [5.0, 6.0]);

        // Nobody has `second`'s: it is not sent, and stays without a gradient.
        let mut grads = GradientsParams::new();
        grads.register::<2>(model.first.weight.id, Tensor::<2>::ones([2, 2], &device));
        let gang = WithPeer {
            presence: vec![1.0, 0.0],
            buffers: RefCell::new(vec![vec![1.0; 4]]),
        };
        all_reduce_gradients(&model, &mut grads, &gang).unwrap();
        assert_eq!(grad(&grads, &model.first.weight).unwrap(), [2.0; 4]);
        assert!(grad(&grads, &model.second.weight).is_none());
    }
}
