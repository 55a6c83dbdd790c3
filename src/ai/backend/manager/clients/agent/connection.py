"""One agent's ZeroMQ connection: a callosum peer opened on demand and replaced when it fails.

The peer is a DEALER socket connected to the agent's ROUTER; many calls share it at once
(replies are matched by sequence number). A new peer must pass callosum's PING/PONG
handshake, which fails when nothing listens at the address yet (an agent binds its RPC
socket last while starting). A peer is retired after a timeout or a transport error: new
calls open a fresh one, and the old one is closed once its last in-flight call returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import zmq
from callosum.auth import AbstractClientAuthenticator, Identity
from callosum.exceptions import AuthenticationError
from callosum.lower.zeromq import ZeroMQAddress, ZeroMQRPCTransport
from callosum.rpc import Peer, RPCInternalError, RPCUserError

from ai.backend.manager.clients.agent import codec
from ai.backend.manager.clients.agent.settings import AgentRPCSettings, CurveKeypair
from ai.backend.manager.errors.agent import AgentRPCError, AgentRPCTimeout, AgentUnreachable

log = logging.getLogger(__name__)

CURVE_DOMAIN = "local"


class _CurveClientAuthenticator(AbstractClientAuthenticator):
    def __init__(self, manager: CurveKeypair, agent_public_key: str) -> None:
        self._manager = manager
        self._agent_public_key = agent_public_key

    async def server_public_key(self) -> bytes:
        return self._agent_public_key.encode()

    async def client_identity(self) -> Identity:
        return Identity(CURVE_DOMAIN, self._manager.secret_key.encode())

    async def client_public_key(self) -> bytes:
        return self._manager.public_key.encode()


def _serialize(body: Any) -> bytes:
    # Requests are packed by the caller (so encoding errors surface there, not in
    # callosum's send loop); anything else callosum sends through here is packed now.
    if isinstance(body, bytes):
        return body
    return codec.pack(body)


@dataclass(eq=False)
class _OpenPeer:
    peer: Peer
    inflight: int = 0
    retired: bool = False
    closing: bool = False

    def alive(self) -> bool:
        # callosum stops its receive loop for good on an unexpected error; such a peer
        # would never see another reply.
        recv_task = getattr(self.peer, "_recv_task", None)
        return recv_task is not None and not recv_task.done()


async def _close_peer(peer: Peer, *, fail_pending: bool = False) -> None:
    if fail_pending:
        # Calls still waiting for a reply on this peer would otherwise wait for their
        # timeout; cancelling their futures makes them fail now.
        resolver = getattr(peer, "_invocation_resolver", None)
        futures = getattr(resolver, "_futures", None)
        if isinstance(futures, dict):
            for fut in list(futures.values()):
                if isinstance(fut, asyncio.Future) and not fut.done():
                    fut.cancel()
    try:
        await peer.__aexit__(None, None, None)
    except Exception:
        log.debug("error while closing an agent peer", exc_info=True)
        transport = getattr(peer, "_transport", None)
        if transport is not None:
            with contextlib.suppress(Exception):
                await transport.close()


class AgentConnection:
    """The connection to one agent at one address; shared by every client of that agent."""

    def __init__(
        self,
        agent_id: str,
        addr: str,
        public_key: str | None,
        settings: AgentRPCSettings,
    ) -> None:
        self.agent_id = agent_id
        self.addr = addr
        self.public_key = public_key
        self._settings = settings
        self._current: _OpenPeer | None = None
        self._opening: asyncio.Task[_OpenPeer] | None = None
        # every opened peer not yet being closed (the current one and retired busy ones)
        self._open_slots: set[_OpenPeer] = set()
        self._closing: set[asyncio.Task[None]] = set()
        self._retired = False

    @property
    def retired(self) -> bool:
        return self._retired

    @property
    def idle(self) -> bool:
        """Nothing open, opening or closing."""
        return not self._open_slots and self._opening is None and not self._closing

    async def invoke(self, method: str, body: bytes, rpc_timeout: float) -> Any:
        """Send one request (a packed RPC body) and return the decoded reply body."""
        slot = await self._acquire(method)
        slot.inflight += 1
        try:
            return await self._invoke_on(slot, method, body, rpc_timeout)
        finally:
            slot.inflight -= 1
            if slot.retired and slot.inflight == 0:
                self._schedule_close(slot)

    def retire(self) -> None:
        """Stop using this connection: close its peer once idle; new calls are refused."""
        self._retired = True
        if self._opening is not None:
            self._opening.cancel()
        if self._current is not None:
            self._retire_slot(self._current)

    async def close(self) -> None:
        """Close now; calls still waiting for replies fail with AgentUnreachable."""
        self._retired = True
        self._current = None
        opening = self._opening
        if opening is not None:
            opening.cancel()
            await asyncio.wait([opening])
            if not opening.cancelled() and opening.exception() is None:
                self._open_slots.add(opening.result())  # opened just before the cancel
        slots, self._open_slots = self._open_slots, set()
        for slot in slots:
            if not slot.closing:
                slot.retired = slot.closing = True
                await _close_peer(slot.peer, fail_pending=True)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    # --- peers -----------------------------------------------------------------------------

    async def _acquire(self, method: str) -> _OpenPeer:
        if self._retired:
            raise AgentUnreachable(
                self.agent_id, "the connection was closed (agent invalidated)", method=method
            )
        current = self._current
        if current is not None:
            if not current.retired and current.alive():
                return current
            self._retire_slot(current)
        opening = self._opening
        if opening is None:
            opening = self._opening = asyncio.create_task(self._open(method))
            opening.add_done_callback(self._opened)
        # Concurrent callers share one attempt; a cancelled caller does not cancel it.
        try:
            return await asyncio.shield(opening)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if opening.cancelled() and not (task is not None and task.cancelling()):
                raise AgentUnreachable(
                    self.agent_id, "the connection was closed while opening", method=method
                ) from None
            raise

    def _opened(self, task: asyncio.Task[_OpenPeer]) -> None:
        self._opening = None
        if task.cancelled() or task.exception() is not None:
            return
        slot = task.result()
        if slot.closing:
            return
        self._open_slots.add(slot)
        if self._retired:
            slot.retired = True
            self._schedule_close(slot)
        else:
            self._current = slot

    async def _open(self, method: str) -> _OpenPeer:
        settings = self._settings
        authenticator: AbstractClientAuthenticator | None = None
        if self.public_key:
            if settings.manager_keypair is None:
                raise AgentUnreachable(
                    self.agent_id,
                    "the agent requires CURVE authentication but the manager has no keypair",
                    method=method,
                )
            authenticator = _CurveClientAuthenticator(settings.manager_keypair, self.public_key)
        keepalive = settings.keepalive_timeout
        peer = Peer(
            connect=ZeroMQAddress(self.addr),
            transport=ZeroMQRPCTransport,
            authenticator=authenticator,
            serializer=_serialize,
            deserializer=codec.safe_unpack,
            transport_opts={
                "handshake_timeout": settings.handshake_timeout,
                "zsock_opts": {
                    zmq.TCP_KEEPALIVE: 1,
                    zmq.TCP_KEEPALIVE_IDLE: keepalive,
                    zmq.TCP_KEEPALIVE_INTVL: max(2, keepalive // 3),
                    zmq.TCP_KEEPALIVE_CNT: 3,
                },
            },
        )
        try:
            async with asyncio.timeout(settings.handshake_timeout + 1.0):
                await peer.__aenter__()
        except BaseException as e:
            await _close_peer(peer)
            match e:
                case AuthenticationError() | TimeoutError():
                    reason = (
                        f"no answer to the connection handshake at {self.addr} within "
                        f"{settings.handshake_timeout:g}s (not listening yet, or wrong address)"
                    )
                case zmq.ZMQError() | OSError():
                    reason = f"cannot connect to {self.addr}: {e}"
                case _:
                    raise
            raise AgentUnreachable(self.agent_id, reason, method=method) from None
        log.debug("connected to agent %s at %s", self.agent_id, self.addr)
        return _OpenPeer(peer)

    def _retire_slot(self, slot: _OpenPeer) -> None:
        slot.retired = True
        if self._current is slot:
            self._current = None
        if slot.inflight == 0:
            self._schedule_close(slot)

    def _schedule_close(self, slot: _OpenPeer) -> None:
        if slot.closing:
            return
        slot.closing = True
        self._open_slots.discard(slot)
        task = asyncio.create_task(_close_peer(slot.peer))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    # --- one call --------------------------------------------------------------------------

    async def _invoke_on(
        self, slot: _OpenPeer, method: str, body: bytes, rpc_timeout: float
    ) -> Any:
        try:
            result = await slot.peer.invoke(method, body, invoke_timeout=rpc_timeout)
        except TimeoutError:
            self._retire_slot(slot)
            raise AgentRPCTimeout(
                self.agent_id,
                f"no reply to {method} within {rpc_timeout:g}s",
                method=method,
                timeout=rpc_timeout,
            ) from None
        except RPCUserError as e:
            raise AgentRPCError(
                self.agent_id, e.name, e.repr, method=method, traceback=e.traceback
            ) from None
        except RPCInternalError as e:
            raise AgentRPCError(
                self.agent_id, e.name, e.repr, method=method, traceback=e.traceback
            ) from None
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # we are being cancelled
            if slot.closing:
                raise AgentUnreachable(
                    self.agent_id, "the connection was closed during the call", method=method
                ) from None
            raise AgentRPCError(
                self.agent_id, "CancelledError", "the agent cancelled the call", method=method
            ) from None
        except (zmq.ZMQError, OSError) as e:
            self._retire_slot(slot)
            raise AgentUnreachable(self.agent_id, f"transport error: {e}", method=method) from e
        if isinstance(result, codec.UndecodableReply):
            raise AgentRPCError(self.agent_id, "UndecodableReply", result.error, method=method)
        return result
