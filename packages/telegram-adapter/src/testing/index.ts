export {
  FakeBotApiServer,
  errorResult,
  okResult,
  userCharge,
  userRefund,
  type FakeAnswer,
  type FakeHandler,
  type FakeRequest,
  type WireStarTransaction,
} from "./fake-bot-api-server.js";
