//! Clients of a node's services, for the CLI, tools and tests.

use tonic::transport::{Channel, Endpoint};

use bashu_proto::v1::admin_client::AdminClient;
use bashu_proto::v1::county_client::CountyClient;
use bashu_proto::v1::query_client::QueryClient;

use crate::transport::MAX_MESSAGE_BYTES;

/// Connected clients of one node.
#[derive(Clone)]
pub struct NodeClient {
    pub county: CountyClient<Channel>,
    pub query: QueryClient<Channel>,
    pub admin: AdminClient<Channel>,
}

impl NodeClient {
    /// Connects to `endpoint` (e.g. `http://127.0.0.1:7153`).
    pub async fn connect(endpoint: String) -> Result<NodeClient, tonic::transport::Error> {
        let channel = Endpoint::from_shared(endpoint)?
            .tcp_nodelay(true)
            .connect()
            .await?;
        Ok(NodeClient {
            county: CountyClient::new(channel.clone())
                .max_encoding_message_size(MAX_MESSAGE_BYTES)
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
            query: QueryClient::new(channel.clone()).max_decoding_message_size(MAX_MESSAGE_BYTES),
            admin: AdminClient::new(channel).max_decoding_message_size(MAX_MESSAGE_BYTES),
        })
    }
}
