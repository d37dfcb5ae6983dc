//! [`ShmWindow`]: a window's pixels written into a pooled segment with `ShmGetImage`, the image
//! request of this backend's window captures (`mss_x11` does the rest of the capture).

use mss_buffer::Lease;
use mss_core::Error;
use mss_x11::{WindowImage, WindowImageRequest, WindowSource, X11Connection, X11Display};
use x11rb::connection::SequenceNumber;
use x11rb::errors::ReplyError;
use x11rb::protocol::shm;

use crate::request::{SHM_GET_IMAGE, ShmGetImage};
use crate::segment::Segment;
use crate::segments::Segments;
use crate::storage::LeasedSegment;

/// `ShmGetImage` of a window into a segment leased from `segments`, whose lease becomes the
/// frame's storage (zero-copy, as a grab). A window that does not fit a segment (larger than
/// the screen, of another format) or a capturer without shared memory sends nothing, so the
/// window is read with `GetImage`.
pub(crate) struct ShmWindow<'a> {
    pub(crate) segments: &'a mut Segments,
}

impl<C: X11Connection> WindowImageRequest<C> for ShmWindow<'_> {
    const REQUEST: &'static str = SHM_GET_IMAGE;
    type Sent = (Lease<Segment>, SequenceNumber, ShmGetImage);
    type Reply = (shm::GetImageReply, Lease<Segment>, ShmGetImage);
    type Storage = LeasedSegment;

    /// The screen's size as of now, which segments are sized for.
    fn prepare(&mut self, display: &mut X11Display<C>) -> Result<(), Error> {
        display.screen_info().map(drop)
    }

    fn send(
        &mut self,
        display: &X11Display<C>,
        source: &WindowSource,
    ) -> Result<Option<Self::Sent>, Error> {
        if !self.segments.fits(display, source) {
            return Ok(None);
        }
        let lease = self.segments.lease(display, &mut |_, _| {})?;
        let request = ShmGetImage::window(source);
        let sequence = request.send(display, lease.id(), 0)?;
        Ok(Some((lease, sequence, request)))
    }

    fn discard(&mut self, display: &X11Display<C>, (lease, sequence, _): Self::Sent) {
        ShmGetImage::discard(display, sequence);
        // The segment goes back to the pool now: the server handles the discarded request
        // before any later one that could write the segment.
        drop(lease);
    }

    fn receive(
        &mut self,
        display: &X11Display<C>,
        (lease, sequence, request): Self::Sent,
    ) -> Result<Self::Reply, ReplyError> {
        ShmGetImage::receive(display, sequence).map(|reply| (reply, lease, request))
    }

    fn image(
        &mut self,
        display: &X11Display<C>,
        (reply, lease, request): Self::Reply,
    ) -> Result<WindowImage<LeasedSegment>, Error> {
        request.check(display, &reply)?;
        Ok(WindowImage {
            depth: reply.depth,
            storage: LeasedSegment(lease),
            offset: 0,
        })
    }
}
