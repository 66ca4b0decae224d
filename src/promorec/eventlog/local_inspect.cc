// Read-only inspection of a store directory: `promorec log stat`.
#include "promorec/eventlog/checkpoint_file.h"
#include "promorec/eventlog/local_store.h"
#include "promorec/eventlog/local_stream.h"
#include "promorec/eventlog/shard_recovery.h"

namespace promorec::eventlog {

base::Result<std::vector<StreamStat>> StatStreams(base::Env& env, const std::string& root) {
  std::vector<StreamStat> out;
  PROMOREC_ASSIGN_OR_RETURN(const auto names, ListStreamDirs(env, root));
  for (const std::string& name : names) {
    const std::string dir = root + "/" + name;
    PROMOREC_ASSIGN_OR_RETURN(StreamMeta meta, ReadStreamMeta(env, dir));
    StreamStat stat{meta.name, meta.options, meta.created_us, {}, {}};
    for (std::uint32_t shard = 0; shard < meta.options.shard_count; ++shard) {
      ShardInfo info;
      info.shard = shard;
      info.starting_hash_key = StartingHashKey(shard, meta.options.shard_count);
      info.ending_hash_key = EndingHashKey(shard, meta.options.shard_count);
      const std::string shard_dir = dir + "/" + ShardDirName(shard);
      PROMOREC_ASSIGN_OR_RETURN(const bool shard_exists, env.FileExists(shard_dir));
      if (shard_exists) {
        RecoveryReport ignored;
        PROMOREC_ASSIGN_OR_RETURN(const ShardState state,
                                  ScanShard(env, shard_dir, shard, false, &ignored));
        for (const SegmentState& segment : state.segments) {
          if (segment.records > 0 && info.first_sequence == 0) {
            info.first_sequence = segment.first_sequence;
          }
          if (segment.last_sequence > 0) info.last_sequence = segment.last_sequence;
          info.records += segment.records;
          info.bytes += segment.size;
        }
        info.segments = static_cast<std::uint32_t>(state.segments.size());
      }
      stat.shards.push_back(info);
    }
    const std::string consumers = dir + "/consumers";
    PROMOREC_ASSIGN_OR_RETURN(const bool has_consumers, env.FileExists(consumers));
    if (has_consumers) {
      PROMOREC_ASSIGN_OR_RETURN(const auto consumer_names, env.ListDir(consumers));
      for (const std::string& consumer : consumer_names) {
        for (std::uint32_t shard = 0; shard < meta.options.shard_count; ++shard) {
          auto checkpoint = ReadCheckpointFile(
              env, consumers + "/" + consumer + "/" + ShardDirName(shard) + ".ckpt");
          if (!checkpoint || !*checkpoint) continue;
          stat.checkpoints.push_back(ConsumerCheckpoint{consumer, shard, (*checkpoint)->sequence,
                                                        (*checkpoint)->updated_us});
        }
      }
    }
    out.push_back(std::move(stat));
  }
  return out;
}

}  // namespace promorec::eventlog
