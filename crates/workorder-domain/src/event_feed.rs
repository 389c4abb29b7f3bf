//! The ReadEventFeed use case: a tenant's events, oldest first, a page at a time, followed
//! for ever by passing back the cursor each page ends with.

use std::fmt;
use std::sync::Arc;

use crate::error::Error;
use crate::event::{FeedCursor, FeedPage};
use crate::identity::Principal;
use crate::paging::PageSize;
use crate::ports::EventFeed;

/// The ReadEventFeed use case.
#[derive(Clone)]
pub struct ReadEventFeed {
    feed: Arc<dyn EventFeed>,
}

impl fmt::Debug for ReadEventFeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadEventFeed").finish_non_exhaustive()
    }
}

impl ReadEventFeed {
    /// The use case over its port.
    pub fn new(feed: Arc<dyn EventFeed>) -> Self {
        Self { feed }
    }

    /// The page of `principal`'s tenant's feed after `after` (a cursor of an earlier page),
    /// of at most `limit` events (1 to 200, 50 when absent).
    ///
    /// Returns [`Error::InvalidFeedQuery`] listing every bad parameter, and otherwise what
    /// [`EventFeed::events`] returns.
    pub async fn page(
        &self,
        principal: &Principal,
        after: Option<&str>,
        limit: Option<&str>,
    ) -> Result<FeedPage, Error> {
        let size = limit.map(PageSize::parse).transpose();
        let cursor = after.map(FeedCursor::parse).transpose();
        let (size, cursor) = match (size, cursor) {
            (Ok(size), Ok(cursor)) => (size.unwrap_or_default(), cursor),
            (size, cursor) => {
                return Err(Error::InvalidFeedQuery(size.err().into_iter().chain(cursor.err()).collect()));
            }
        };
        // One more than asked tells whether more are there without a count.
        let mut events =
            self.feed.events(principal.tenant(), cursor.unwrap_or_default(), size.get() + 1).await?;
        let has_more = events.len() > size.get();
        events.truncate(size.get());
        let next_cursor = events.last().map(|e| FeedCursor::after(e.position)).or(cursor);
        Ok(FeedPage { events, next_cursor, has_more })
    }
}
