export { encodeOps } from "./encode";
export { NftBatchError, NftBatchWriter } from "./writer";
