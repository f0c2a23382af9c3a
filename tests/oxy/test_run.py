"""What `bin/run` starts: a worker kind per queue group, a process per core."""

from oxy.celery import QUEUE_NAMES
from oxy.run import dev_processes


def test_the_agents_queue_has_its_own_many_threaded_workers_with_a_pool_as_large():
    processes = dev_processes({"WORKER_PROCESSES": "2", "PORT": "8123"})

    agents = [(command, env) for name, command, env in processes if name.startswith("agents worker")]
    assert len(agents) == 2
    for command, env in agents:
        assert command[command.index("-Q") + 1] == "agents"
        threads = int(command[command.index("-c") + 1])
        assert threads >= 16
        assert int(env["DB_POOL_MAX_SIZE"]) >= threads  # every turn holds a connection while the LLM thinks
    names = [command[command.index("-n") + 1] for name, command, _env in processes if "worker" in name]
    assert len(set(names)) == len(names) == 4


def test_every_queue_is_consumed_and_slow_turns_never_share_a_worker_with_the_rest():
    processes = dev_processes({"WORKER_PROCESSES": "1"})

    consumed = {
        name: set(command[command.index("-Q") + 1].split(",")) for name, command, _env in processes if "-Q" in command
    }
    assert set().union(*consumed.values()) == set(QUEUE_NAMES)
    assert consumed["worker 1"].isdisjoint(consumed["agents worker 1"])
    assert [name for name, _command, _env in processes if name in {"web", "beat"}] == ["web", "beat"]
