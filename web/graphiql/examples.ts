/** The operations the sandbox opens with, one tab each. */
export const EXAMPLE_TABS = [
  {
    query: `# Log in: the page puts the access token into the Headers editor for you.
mutation LogInAsAdmin {
  login(email: "admin@email.com", password: "12345678") {
    accessToken
    expiresIn
    user { id name role }
  }
}`,
  },
  {
    query: `# Send a message to another user (register one first, or use any user id).
mutation SendMessage($receiverId: ID!, $detail: String!) {
  sendMessage(receiverId: $receiverId, detail: $detail) {
    id
    detail
    status
    createdAt
    receiver { id name }
  }
}`,
    variables: JSON.stringify({ receiverId: '2', detail: 'Hello from GraphiQL' }, null, 2),
  },
  {
    query: `# Messages sent to you, live (the same events legacy clients get as MessageCreated).
subscription MessageCreated {
  messageCreated {
    id
    detail
    createdAt
    sender { id name }
  }
}`,
  },
  {
    query: `# Miss nothing: replay your events after an event id, then go on live, with no gap and no duplicate.
# Start with the query below (no \`after\`) to get where you are now, and keep the id of each event you handle.
# An id past retention answers CURSOR_EXPIRED: refetch, then start again from now.
query WhereAmI {
  realtimeEvents { lastId }
}

subscription Resume($after: ID) {
  realtimeEvents(after: $after) {
    id
    name
    createdAt
    message { id detail status sender { id name } }
    notification { id title status }
  }
}`,
    variables: JSON.stringify({ after: '0' }, null, 2),
  },
  {
    query: `# Your unread badges, live on every device: one update per change that moves a count.
query Now {
  unreadCounts { unseenMessages unseenConversations unseenNotifications }
}

subscription Badges {
  unreadCountsChanged { unseenMessages unseenConversations unseenNotifications }
}`,
  },
  {
    query: `# Who is online and who is typing. Presence is for people you have exchanged a message with
# (admins: anyone). Run the subscriptions here, then call typing (or open a tab as the other user).
query Presence($userIds: [ID!]!) {
  presence(userIds: $userIds) { userId online lastSeenAt }
}

subscription PresenceChanged($userIds: [ID!]!) {
  presenceChanged(userIds: $userIds) { userId online lastSeenAt }
}

# At most one event every 2 s however often you call it; typing: false 5 s after the last call.
mutation Typing($otherUserId: ID!) {
  typing(otherUserId: $otherUserId)
}

subscription TypingChanged {
  typingChanged { userId typing }
}`,
    variables: JSON.stringify({ userIds: ['2'], otherUserId: '2' }, null, 2),
  },
];
